/// @file test_output_file.cpp
/// @brief The output-file protocol (host/run/output_file.hpp) in one process: checks before
/// work, links never followed, the conflict check, and that nothing but the target changes.
#include "spikemesh/errors.hpp"

#include "run/output_file.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <dirent.h>
#include <fstream>
#include <set>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

namespace {

using namespace spikemesh;

class OutputFile : public ::testing::Test {
protected:
  void SetUp() override {
    char tmpl[] = "/tmp/spikemesh-output-file-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir = tmpl;
  }
  void TearDown() override {
    for (const std::string& n : names())
      unlink((dir + "/" + n).c_str());
    rmdir(dir.c_str());
  }
  std::set<std::string> names() const {
    std::set<std::string> out;
    DIR* d = opendir(dir.c_str());
    while (const dirent* e = readdir(d)) {
      const std::string n = e->d_name;
      if (n != "." && n != "..") out.insert(n);
    }
    closedir(d);
    return out;
  }
  static std::string read(const std::string& p) {
    std::ifstream f(p);
    return std::string(std::istreambuf_iterator<char>(f), {});
  }
  static void write(const std::string& p, const std::string& text) { std::ofstream(p) << text; }
  std::string dir;
};

TEST_F(OutputFile, RefusesWhatIsNotARegularFileBeforeWork) {
  const std::string fifo = dir + "/fifo";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  const std::string link = dir + "/link";
  ASSERT_EQ(symlink("/dev/null", link.c_str()), 0);
  for (const std::string& p : {fifo, link, dir, std::string("/dev/null")}) {
    try {
      run::check_output(p, "out");
      ADD_FAILURE() << p << " accepted";
    } catch (const InvalidParameter& e) {
      EXPECT_EQ(e.field(), "out");
      EXPECT_NE(std::string(e.what()).find("not a regular file"), std::string::npos) << e.what();
    }
  }
  EXPECT_THROW(run::check_output(dir + "/missing/x.h5", "out"), InvalidParameter);
  EXPECT_EQ(names(), (std::set<std::string>{"fifo", "link"})); // the probe left nothing
}

TEST_F(OutputFile, PublishReplacesOnlyTheTargetAndFollowsNoLink) {
  const std::string out = dir + "/r.h5";
  const std::string victim = dir + "/victim";
  write(victim, "keep");
  for (const char* s : {".tmp", ".partial.tmp", ".partial"})
    ASSERT_EQ(symlink(victim.c_str(), (out + s).c_str()), 0);
  EXPECT_FALSE(run::check_output(out, "out"));
  run::publish(out, "result", 6);
  EXPECT_EQ(read(out), "result");
  EXPECT_EQ(read(victim), "keep");
  struct stat st {};
  ASSERT_EQ(lstat(out.c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_EQ(names(), (std::set<std::string>{"r.h5", "r.h5.tmp", "r.h5.partial.tmp", "r.h5.partial",
                                            "victim"}));
  run::publish(out, "second", 6); // our own file: replaced without a conflict
  EXPECT_EQ(read(out), "second");
}

TEST_F(OutputFile, AnotherWriterFirstIsAConflict) {
  const std::string fresh = dir + "/new.h5";
  EXPECT_FALSE(run::check_output(fresh, "out"));
  write(fresh, "winner"); // another process finished first
  EXPECT_THROW(run::publish(fresh, "loser", 5), run::OutputConflict);
  EXPECT_EQ(read(fresh), "winner");

  const std::string old = dir + "/old.h5";
  write(old, "before");
  EXPECT_TRUE(run::check_output(old, "out"));
  write(old + ".other", "winner");
  ASSERT_EQ(std::rename((old + ".other").c_str(), old.c_str()), 0); // replaced meanwhile
  EXPECT_THROW(run::publish(old, "loser", 5), run::OutputConflict);
  EXPECT_EQ(read(old), "winner");
  EXPECT_EQ(names(), (std::set<std::string>{"new.h5", "old.h5"})); // no temporaries left
}

TEST_F(OutputFile, InputsMustBeRegularFiles) {
  const std::string fifo = dir + "/fifo";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_THROW(run::check_input(fifo, "info: the file"), InvalidFile);
  EXPECT_THROW(run::check_input(dir, "info: the file"), InvalidFile);
  const std::string a = dir + "/a";
  write(a, "x");
  EXPECT_NO_THROW(run::check_input(a, "info: the file"));
  const std::string b = dir + "/b";
  ASSERT_EQ(link(a.c_str(), b.c_str()), 0);
  EXPECT_TRUE(run::same_file(a, b));
  EXPECT_FALSE(run::same_file(a, fifo));
  EXPECT_EQ(run::folder_of("x.h5"), ".");
  EXPECT_EQ(run::folder_of("/x.h5"), "/");
  EXPECT_EQ(run::folder_of("a/b/x.h5"), "a/b");
}

} // namespace
