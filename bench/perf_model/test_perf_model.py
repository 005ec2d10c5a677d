"""Unit tests of the static performance model on hand-written SASS and profiles, whose
per-point counts follow by hand from the model's rules (README.md beside this file)."""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import perf_model as pm  # noqa: E402
import sass  # noqa: E402

H = "/src/forward.hpp"
E = "/src/eval_block.hpp"

# A point loop (eval_block.hpp:10, once per point) holding an inner loop (forward.hpp:20)
# unrolled 4 times, whose body line forward.hpp:21 holds one FFMA and one LDG per copy.
SASS = f"""
//--------------------- .text._Z6kernelv --------------------------
	//## File "{E}", line 10
        /*0000*/                   MOV R1, c[0x0][0x28] ;
.L_x_1:
	//## File "{E}", line 11
        /*0010*/                   IMAD R2, R3, R4, R5 ;
	//## File "{H}", line 20 inlined at "{E}", line 11
	//## File "{E}", line 11
        /*0020*/                   IADD3 R6, R6, 0x4, RZ ;
.L_x_2:
	//## File "{H}", line 21 inlined at "{E}", line 11
	//## File "{E}", line 11
        /*0030*/                   LDG.E R7, desc[UR4][R8.64] ;
        /*0040*/                   FFMA R9, R7, R7, R9 ;
        /*0050*/                   LDG.E R7, desc[UR4][R8.64+0x4] ;
        /*0060*/                   FFMA R9, R7, R7, R9 ;
        /*0070*/                   LDG.E R7, desc[UR4][R8.64+0x8] ;
        /*0080*/                   FFMA R9, R7, R7, R9 ;
        /*0090*/                   LDG.E R7, desc[UR4][R8.64+0xc] ;
        /*00a0*/                   FFMA R9, R7, R7, R9 ;
	//## File "{H}", line 20 inlined at "{E}", line 11
	//## File "{E}", line 11
        /*00b0*/                   ISETP.NE.AND P0, PT, R6, RZ, PT ;
        /*00c0*/               @P0 BRA `(.L_x_2) ;
	//## File "{E}", line 12
        /*00d0*/                   ATOMS.CAST.SPIN.64 P0, [R10], R12, R14 ;
	//## File "{E}", line 10
        /*00e0*/                   ISETP.NE.AND P1, PT, R2, RZ, PT ;
        /*00f0*/               @P1 BRA `(.L_x_1) ;
        /*0100*/                   EXIT ;
"""

PTXAS = """ptxas info    : Compiling entry function '_Z6kernelv' for 'sm_90'
ptxas info    : Function properties for _Z6kernelv
    96 bytes stack frame, 8 bytes spill stores, 4 bytes spill loads
ptxas info    : Used 40 registers, used 1 barriers, 96 bytes cumulative stack size, 512 bytes smem
"""


class Parsing(unittest.TestCase):
    def test_functions_lines_sites_loops(self):
        fn = sass.parse_sass(SASS)["_Z6kernelv"]
        self.assertEqual(len(fn.instructions), 17)
        ffma = [i for i in fn.instructions if i.opcode == "FFMA"]
        self.assertEqual(len(ffma), 4)
        self.assertEqual(ffma[0].line, (H, 21))  # the innermost line of the inline chain
        self.assertEqual(ffma[0].site, (E, 11))
        self.assertEqual(sorted((lo, hi) for lo, hi, _ in fn.loops()), [(0x10, 0xF0), (0x30, 0xC0)])

    def test_classes(self):
        self.assertEqual(sass.classify("ATOMS.CAST.SPIN.64"), "cas")
        self.assertEqual(sass.classify("ATOMS.ADD"), "atomic")
        self.assertEqual(sass.classify("FFMA"), "ffma")
        self.assertEqual(sass.classify("LDL.64"), "local")
        self.assertEqual(sass.classify("DFMA"), "dfma")
        self.assertEqual(sass.classify("F2F.F64.F32"), "convert")

    def test_ptxas(self):
        r = sass.parse_ptxas(PTXAS)["_Z6kernelv"]
        self.assertEqual((r["registers"], r["stack"], r["spill_stores"], r["spill_loads"],
                          r["smem"]), (40, 96, 8, 4, 512))


class Weighting(unittest.TestCase):
    def setUp(self):
        self.fn = sass.parse_sass(SASS)["_Z6kernelv"]
        # Per point: the point loop once, 8 inner iterations (line 21 runs 8 times; the for
        # line 20 runs 8 + 1 entry = 9 times), one histogram atomic.
        self.profile = {(E, 10): 1.0, (E, 11): 1.0, (E, 12): 1.0, (H, 20): 9.0, (H, 21): 8.0}

    def test_unrolled_body_runs_trips_over_copies(self):
        dyn, _ = pm.weigh(self.fn, self.profile)
        # 4 copies of line 21 in the loop: 8 / 4 = 2 loop iterations per point.
        self.assertAlmostEqual(dyn["ffma"], 8.0)
        self.assertAlmostEqual(dyn["global"], 8.0)
        # The loop's own compare and branch run once per iteration (2), its set-up once per
        # entry (9 - 8 = 1): ISETP x2 (inner) + IADD3 x1.
        # Then the point loop's IMAD and ISETP once per point; the prologue MOV (the point
        # loop's header line, outside it) runs per thread, not per point.
        self.assertAlmostEqual(dyn["int"], 2.0 + 1.0 + 1.0 + 1.0)
        self.assertAlmostEqual(dyn["cas"], 1.0)

    def test_cycles_take_the_busiest_pipe(self):
        dyn, _ = pm.weigh(self.fn, self.profile)
        cyc, bound, limits = pm.cycles(dyn)
        # LSU: 8 LDG + 1 CAS serialised CAS_PASSES times, 32 per clock.
        self.assertAlmostEqual(limits["lsu"], (8 + pm.CAS_PASSES) / 32)
        self.assertEqual(bound, max(limits, key=limits.get))
        self.assertAlmostEqual(cyc, limits[bound])

    def test_copies(self):
        ins = [i for i in self.fn.instructions if i.line == (H, 21)]
        self.assertEqual(pm.copies_of(ins), 4)

    def test_hot_loop(self):
        dyn, hot = pm.weigh(self.fn, self.profile)
        share, fma, fp, body, where = pm.hot_loop(self.fn, hot)
        self.assertEqual((fma, fp, body, where), (4, 4, 10, "forward.hpp:20"))


# A helper line (eval_block.hpp:39, count_one) inlined at two call sites (lines 97 and 100),
# each running once per point, whose body is another file's atomic (one CAS each).
SASS_SITES = f"""
//--------------------- .text._Z1kv --------------------------
	//## File "/cuda/atomics.hpp", line 226 inlined at "{E}", line 39
	//## File "{E}", line 39 inlined at "{E}", line 97
	//## File "{E}", line 97
        /*0000*/                   ATOMS.CAST.SPIN.64 P0, [R10], R12, R14 ;
	//## File "/cuda/atomics.hpp", line 226 inlined at "{E}", line 39
	//## File "{E}", line 39 inlined at "{E}", line 100
	//## File "{E}", line 100
        /*0010*/                   ATOMS.CAST.SPIN.64 P0, [R11], R12, R14 ;
        /*0020*/                   EXIT ;
"""


class InlineSites(unittest.TestCase):
    def test_a_helper_at_two_sites_runs_once_at_each(self):
        fn = sass.parse_sass(SASS_SITES)["_Z1kv"]
        self.assertEqual(fn.instructions[0].chain, ((E, 39), (E, 97)))
        dyn, _ = pm.weigh(fn, {(E, 39): 2.0, (E, 97): 1.0, (E, 100): 1.0})
        self.assertAlmostEqual(dyn["cas"], 2.0)  # not 4: each copy runs at one site's rate


class Gates(unittest.TestCase):
    def test_exceeded_ceiling_fails(self):
        res = [{"kernel": "k<float, 32>", "stack": 100, "spill_stores": 0, "cas_in_loops": 0}]
        ok = pm.check_gates({"kernels": {"k<float, 32>": {"stack": 100}}}, res, [])
        bad = pm.check_gates({"kernels": {"k<float, 32>": {"stack": 99}}}, res, [])
        self.assertEqual(ok, [])
        self.assertEqual(len(bad), 1)
        self.assertIn("stack 100 > ceiling 99", bad[0])



class WarpUniformLines(unittest.TestCase):
    """The profile runs per-warp code on a lockstep emulator: per-lane lines run 32 times per
    warp step there, warp-uniform lines once; the model scales the latter by 32 and drops the
    emulator's own file."""

    def test_marked_lines_scaled_emulator_dropped(self):
        import tempfile
        with tempfile.TemporaryDirectory() as d:
            src = os.path.join(d, "eval_block.hpp")
            with open(src, "w") as f:
                f.write("void f() {\n"
                        "  for (;;) { // warp-uniform\n"
                        "    lane();\n"
                        "  }\n")
            emu = os.path.join(d, "warp.hpp")
            open(emu, "w").close()
            report = {"current_working_directory": d, "files": [
                {"file": "eval_block.hpp", "lines": [{"line_number": 2, "count": 5},
                                                     {"line_number": 3, "count": 128}]},
                {"file": "warp.hpp", "lines": [{"line_number": 1, "count": 999}]}]}
            c = pm.line_counts(report, d, emulator_files=(emu,))
            real = os.path.realpath(src)
            self.assertEqual(c[(real, 2)], 5 * 32)
            self.assertEqual(c[(real, 3)], 128)
            self.assertNotIn((os.path.realpath(emu), 1), c)

    def test_block_uniform_lines_scaled_by_the_block(self):
        """The dense kernel's block emulator runs a phase once per thread, block-uniform lines
        (loops over steps, layers, chunks) once per block: those are scaled by 128."""
        import tempfile
        with tempfile.TemporaryDirectory() as d:
            src = os.path.join(d, "dense_block.hpp")
            with open(src, "w") as f:
                f.write("void g() {\n"
                        "  for (;;) { // block-uniform\n"
                        "    thread();\n"
                        "  }\n")
            report = {"current_working_directory": d, "files": [
                {"file": "dense_block.hpp", "lines": [{"line_number": 2, "count": 3},
                                                      {"line_number": 3, "count": 384}]}]}
            c = pm.line_counts(report, d, emulator_files=())
            real = os.path.realpath(src)
            self.assertEqual(c[(real, 2)], 3 * pm.BLOCK_THREADS)
            self.assertEqual(pm.BLOCK_THREADS, 128)
            self.assertEqual(c[(real, 3)], 384)


if __name__ == "__main__":
    unittest.main()
