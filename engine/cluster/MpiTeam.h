#pragma once
// The row team (pipeline/RowTeam.h) over MPI: one member per rank of MPI_COMM_WORLD, rank 0
// the leader. Started with `mpirun -np N tomolive-cli stream …` (or the console), it shares the
// live reconstruction by detector rows across the ranks (docs/streaming.md, "Several machines").
//
// Each rank's oneTBB is limited to its share of the cores of its host (the host's cores over
// the ranks on it), so ranks on one machine do not compete for the same cores. A rank waiting
// for the leader's next command sleeps between polls instead of spinning.
//
// A rank that dies: Open MPI's mpirun ends the job and names the rank — unless started with
// `--mca orte_enable_recovery 1`, where the other ranks go on: the leader then finds the rank
// silent after its patience (RowTeam::setPatience, 60 s by default), names it and throws
// TeamError, and the team is lost (at the end of the process every rank is ended, MPI_Abort,
// since MPI cannot finalise without the lost one). Errors MPI returns are thrown as TeamError
// naming the call.
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "pipeline/RowTeam.h"

namespace tomolive {

class MpiTeam : public RowTeam {
 public:
  /// Initialises MPI (once per process; finalised at exit) and joins the world's team.
  static std::shared_ptr<MpiTeam> join();
  ~MpiTeam() override;

  int member() const override { return m_rank; }
  int members() const override { return m_size; }
  std::string describe() const override;

  void broadcast(std::span<std::byte> bytes) override;
  void scatter(std::span<const float> all, std::span<const int> counts,
               std::span<float> mine) override;
  void gather(std::span<const float> mine, std::span<const int> counts,
              std::span<float> all) override;
  void sum(std::span<double> values) override;
  void setPatience(std::chrono::milliseconds patience) override { m_patience = patience; }

  /// Ends every rank at once (MPI_Abort) after printing `why`: for a failure that leaves the
  /// ranks out of step.
  [[noreturn]] void abandon(const std::string& why);

 private:
  MpiTeam();
  struct Threads;
  int m_rank = 0, m_size = 1, m_hosts = 1, m_threads = 1;
  std::chrono::milliseconds m_patience{60000};
  std::string m_lost;  ///< why the team is lost, or empty
  /// Completes a request of this rank's part of a collective call: members answering the
  /// leader's "still there?" while they wait, the leader within its patience.
  void complete(void* request, const char* call);
  void answerRollCall();
  [[noreturn]] void loseSilentMembers(const char* call);
  void checkNotLost() const;
  std::unique_ptr<Threads> m_limit;
};

}  // namespace tomolive
