#pragma once
// A team of processes that share one live reconstruction by detector rows (the seed's way of
// scaling, Trace's): slices are independent, so each member reconstructs a contiguous block of
// rows and the members talk only at window boundaries — the new rows of each window go out, the
// slices asked for come back. Member 0 (the leader) runs the session: source, record, centre,
// quality, enhancement, snapshots; the others serve their rows (pipeline/RowShare.h).
//
// This header is the collective operations the protocol needs; cluster/MpiTeam.h provides them
// with MPI (one member per rank of MPI_COMM_WORLD). Every call is collective: all members make
// it, in the same order. A call that fails (a member gone) throws TeamError naming the member.
#include <chrono>
#include <cstddef>
#include <span>
#include <stdexcept>
#include <string>

namespace tomolive {

/// A member's rows: detector rows [first, first + count) of the slices reconstructed.
struct RowBlock {
  int first = 0, count = 0;
  bool contains(int slice) const { return slice >= first && slice < first + count; }
};

/// Member `member`'s block of `slices` slices split among `members`: contiguous, balanced, the
/// remainder spread over the first members (10 slices, 3 members: 4, 3, 3). Throws
/// std::invalid_argument when there are more members than slices or the arguments are out of range.
RowBlock rowBlock(int slices, int members, int member);

/// How many processes an MPI launcher (mpirun, srun) started this one among, from the
/// environment it sets (Open MPI, MPICH, PMIx); 1 when none did.
int launcherProcesses();

/// A member failed, or a message did not arrive (the text names the member where known).
class TeamError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class RowTeam {
 public:
  virtual ~RowTeam() = default;
  virtual int member() const = 0;   ///< 0 for the leader
  virtual int members() const = 0;  ///< ≥ 1
  /// "2 MPI ranks on 1 host (1 thread each)"
  virtual std::string describe() const = 0;

  /// The leader's bytes to every member. The other members wait without spinning (they sleep
  /// between polls), so an idle member costs no CPU.
  virtual void broadcast(std::span<std::byte> bytes) = 0;
  /// The leader's `all` (member k's part: `counts[k]` floats, one after the other) to the members:
  /// each receives its part into `mine` (counts[member()] floats). `all` and `counts` are read
  /// on the leader only; every member passes its own `mine`.
  virtual void scatter(std::span<const float> all, std::span<const int> counts,
                       std::span<float> mine) = 0;
  /// The reverse: every member's `mine` to the leader's `all`, in member order (`counts` and
  /// `all` used on the leader only).
  virtual void gather(std::span<const float> mine, std::span<const int> counts,
                      std::span<float> all) = 0;
  /// Element-wise sum over the members, in place, on every member.
  virtual void sum(std::span<double> values) = 0;

  /// How long the leader waits for the other members' part of a call before it asks each of
  /// them whether it is still there and throws TeamError naming those that do not answer (a
  /// member that died, where the launcher keeps the others running). The team is then lost:
  /// every later call throws at once. The members wait for the leader without limit (it may
  /// wait minutes for the next window).
  virtual void setPatience(std::chrono::milliseconds patience) = 0;
};

}  // namespace tomolive
