#include "util/fd.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

namespace poolbench::util {
namespace {

/// Whether `fd` names an open descriptor of this process.
bool is_open(int fd) {
  return ::fcntl(fd, F_GETFD) != -1;
}

/// A fresh descriptor: the read end of a pipe whose write end is closed at once.
int open_descriptor() {
  int fds[2];
  EXPECT_EQ(::pipe2(fds, O_CLOEXEC), 0);
  ::close(fds[1]);
  return fds[0];
}

TEST(Fd, ClosesItsDescriptorWhenDestroyed) {
  int raw = -1;
  {
    const Fd fd(open_descriptor());
    raw = fd.get();
    EXPECT_TRUE(fd.valid());
    EXPECT_TRUE(is_open(raw));
  }
  EXPECT_FALSE(is_open(raw));
}

TEST(Fd, AMoveHandsTheDescriptorOverAndTheSourceHoldsNone) {
  Fd from(open_descriptor());
  const int raw = from.get();
  Fd to(std::move(from));
  EXPECT_FALSE(from.valid());  // NOLINT(bugprone-use-after-move): the moved-from state
  EXPECT_EQ(to.get(), raw);
  Fd other(open_descriptor());
  const int other_raw = other.get();
  other = std::move(to);  // closes what `other` held
  EXPECT_FALSE(is_open(other_raw));
  EXPECT_EQ(other.get(), raw);
  EXPECT_TRUE(is_open(raw));
}

TEST(Fd, ResetClosesTheOldDescriptorAndReleaseGivesItUpOpen) {
  Fd fd(open_descriptor());
  const int first = fd.get();
  fd.reset(open_descriptor());
  EXPECT_FALSE(is_open(first));
  const int second = fd.release();
  EXPECT_FALSE(fd.valid());
  EXPECT_TRUE(is_open(second));
  ::close(second);
}

TEST(Fd, CloseReportsTheResultAndLeavesNothingHeld) {
  Fd fd(open_descriptor());
  const int raw = fd.get();
  EXPECT_EQ(fd.close(), 0);
  EXPECT_FALSE(fd.valid());
  EXPECT_FALSE(is_open(raw));
  EXPECT_EQ(fd.close(), 0);  // nothing held: nothing to close
  EXPECT_FALSE(Fd(-1).valid());
}

TEST(Fd, MakePipeOwnsBothEndsWhichCarryBytesAndCloseOnDestruction) {
  int read_raw = -1;
  int write_raw = -1;
  {
    const Pipe pipe = make_pipe(O_CLOEXEC);
    ASSERT_TRUE(pipe.read.valid());
    ASSERT_TRUE(pipe.write.valid());
    read_raw = pipe.read.get();
    write_raw = pipe.write.get();
    EXPECT_EQ(::fcntl(read_raw, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
    EXPECT_EQ(::write(write_raw, "x", 1), 1);
    char byte = 0;
    EXPECT_EQ(::read(read_raw, &byte, 1), 1);
    EXPECT_EQ(byte, 'x');
  }
  EXPECT_FALSE(is_open(read_raw));
  EXPECT_FALSE(is_open(write_raw));
}

TEST(Fd, MakePipeWithBadFlagsHoldsNothing) {
  const Pipe pipe = make_pipe(-1);  // EINVAL
  EXPECT_FALSE(pipe.read.valid());
  EXPECT_FALSE(pipe.write.valid());
}

}  // namespace
}  // namespace poolbench::util
