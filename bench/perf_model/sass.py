"""SASS as nvdisasm prints it: functions, instructions with their source line and the line
they were inlined at, loops, instruction classes, and ptxas's resource report.

Only what the performance model needs; see README.md beside this file for the method."""

import re
from collections import Counter
from dataclasses import dataclass, field

# Classes an instruction is counted in (the first matching rule wins).
CLASS_RULES = [
    ("cas", re.compile(r"^ATOM[SG]?\..*CAS|^ATOMS\.CAST|^ATOM\.E\.CAS")),
    ("atomic", re.compile(r"^(ATOMS|ATOMG|ATOM|RED)\b")),
    ("ffma", re.compile(r"^FFMA\b")),
    ("fp32", re.compile(r"^(FADD|FMUL|FMNMX|FSETP|FSEL|FCHK|FSET|FSWZADD|HFMA2|HADD2|HMUL2)\b")),
    ("dfma", re.compile(r"^DFMA\b")),
    ("fp64", re.compile(r"^(DADD|DMUL|DSETP|DMNMX|DSET)\b")),
    ("mufu", re.compile(r"^MUFU\b")),
    ("convert", re.compile(r"^(F2F|I2F|F2I|I2I|F2FP|FRND|I2FP|F2IP)\b")),
    ("local", re.compile(r"^(LDL|STL)\b")),
    ("shared", re.compile(r"^(LDS|STS|LDSM)\b")),
    ("global", re.compile(r"^(LDG|STG|LD|ST|LDGSTS)\b")),
    ("constant", re.compile(r"^(LDC|ULDC)\b")),
    ("shuffle", re.compile(r"^(SHFL|VOTE|MATCH|REDUX)\b")),
    ("branch", re.compile(r"^(BRA|BRX|JMP|CALL|RET|EXIT|BSSY|BSYNC|BREAK|WARPSYNC|BAR|"
                          r"ENDCOLLECTIVE|YIELD|NANOSLEEP|BPT|KILL)\b")),
    ("uniform", re.compile(r"^(U[A-Z0-9]+|S2UR|R2UR|VOTEU)\b")),
    ("int", re.compile(r"^(IMAD|IADD3|IADD|LEA|LOP3|LOP|SHF|SHL|SHR|ISETP|VIADD|VIMNMX|IMNMX|"
                       r"SEL|PRMT|MOV|IABS|POPC|FLO|BREV|BMSK|PLOP3|P2R|R2P|CS2R|S2R|ISCADD|"
                       r"IMUL|VIADDMNMX|IDP|LEPC)\b")),
]
NOT_WORK = {"NOP"}
# Classes that go through the load/store (MIO) pipe.
LSU_CLASSES = ("local", "shared", "global", "atomic", "cas", "shuffle")


def classify(opcode):
    for name, rule in CLASS_RULES:
        if rule.match(opcode):
            return name
    return "other"


@dataclass
class Instruction:
    offset: int
    opcode: str  # e.g. "FFMA" or "ATOMS.CAST.SPIN.64", without the predicate
    text: str
    line: tuple  # (file, line) of the instruction's own source, or None
    site: tuple  # (file, line) it was inlined at, or None
    target: str = None  # branch target label
    chain: tuple = ()  # every (file, line) it was inlined at, innermost first

    @property
    def klass(self):
        return classify(self.opcode)


@dataclass
class Function:
    name: str
    instructions: list = field(default_factory=list)
    labels: dict = field(default_factory=dict)  # label -> offset of the next instruction

    def loops(self):
        """Loops as address ranges [head, back-edge branch]: nvcc lays a loop's body out
        between its head and its back edge (cold paths it moves to the end are missed)."""
        out = []
        for ins in self.instructions:
            if ins.target and ins.target in self.labels:
                head = self.labels[ins.target]
                if head <= ins.offset:
                    out.append((head, ins.offset, ins))
        return out

    def innermost_loop(self, offset):
        best = None
        for lo, hi, ins in self.loops():
            if lo <= offset <= hi and (best is None or hi - lo < best[1] - best[0]):
                best = (lo, hi, ins)
        return best


_FUNC = re.compile(r"^//-+ \.text\.(\S+) -+")
_LINE = re.compile(r'^\s*//## File "([^"]+)", line (\d+)(?: inlined at "([^"]+)", line (\d+))?')
_LABEL = re.compile(r"^(\.L_x_\d+):")
_INS = re.compile(r"^\s*/\*([0-9a-f]{4,})\*/\s+(.*?)\s*;")
_TARGET = re.compile(r"`\((\.L_x_\d+)\)")


def parse_sass(text):
    """nvdisasm -c -gi output -> {function name: Function}."""
    funcs = {}
    cur = None
    line = site = None
    chain = []
    chained = False
    pending = []
    for raw in text.splitlines():
        m = _FUNC.match(raw)
        if m:
            cur = Function(m.group(1))
            funcs[cur.name] = cur
            line = site = None
            pending = []
            continue
        if cur is None:
            continue
        m = _LINE.match(raw)
        if m:
            # An inlined instruction gets its whole chain, innermost first, one line a level.
            if not chained:
                line = (m.group(1), int(m.group(2)))
                site = (m.group(3), int(m.group(4))) if m.group(3) else None
                chain = [site] if site else []
            elif m.group(3):
                chain.append((m.group(3), int(m.group(4))))
            chained = True
            continue
        chained = False
        m = _LABEL.match(raw)
        if m:
            pending.append(m.group(1))
            continue
        m = _INS.match(raw)
        if m:
            offset = int(m.group(1), 16)
            body = m.group(2)
            parts = body.split()
            if parts and parts[0].startswith("@"):
                parts = parts[1:]
            opcode = parts[0] if parts else ""
            t = _TARGET.search(body)
            for lab in pending:
                cur.labels[lab] = offset
            pending = []
            if opcode in NOT_WORK:
                continue
            cur.instructions.append(Instruction(offset, opcode, body, line, site,
                                                t.group(1) if t else None, tuple(chain)))
    return funcs


_PTXAS_ENTRY = re.compile(r"Compiling entry function '(\S+)'")
_PTXAS_FRAME = re.compile(r"(\d+) bytes stack frame, (\d+) bytes spill stores, (\d+) bytes spill loads")
_PTXAS_USED = re.compile(r"Used (\d+) registers.*?(?:, (\d+) bytes smem)?$")


def parse_ptxas(text):
    """ptxas -v output -> {entry name: {registers, stack, spill_stores, spill_loads, smem}}."""
    out = {}
    entry = None
    prev = ""
    for raw in text.splitlines():
        m = _PTXAS_ENTRY.search(raw)
        if m:
            entry = m.group(1)
            out[entry] = {"registers": 0, "stack": 0, "spill_stores": 0, "spill_loads": 0,
                          "smem": 0}
        elif entry is not None:
            m = _PTXAS_FRAME.search(raw)
            if m and ("Function properties for " + entry) in prev:
                out[entry].update(stack=int(m.group(1)), spill_stores=int(m.group(2)),
                                  spill_loads=int(m.group(3)))
            m = _PTXAS_USED.search(raw)
            if m:
                out[entry]["registers"] = int(m.group(1))
                sm = re.search(r"(\d+) bytes smem", raw)
                out[entry]["smem"] = int(sm.group(1)) if sm else 0
                entry = None
        prev = raw
    return out


def class_counts(instructions):
    return Counter(i.klass for i in instructions)
