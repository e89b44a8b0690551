#pragma once
// The row team (pipeline/RowTeam.h) over MPI: one member per rank of MPI_COMM_WORLD, rank 0
// the leader. Started with `mpirun -np N tomolive-cli stream …` (or the console), it shares the
// live reconstruction by detector rows across the ranks (docs/streaming.md, "Several machines").
//
// Each rank's oneTBB is limited to its share of the cores of its host (the host's cores over
// the ranks on it), so ranks on one machine do not compete for the same cores. A rank waiting
// for the leader's next command sleeps between polls instead of spinning.
//
// A rank that dies: Open MPI's mpirun ends the job and names the rank; errors MPI returns are
// thrown as TeamError naming the call.
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

  /// Ends every rank at once (MPI_Abort) after printing `why`: for a failure that leaves the
  /// ranks out of step.
  [[noreturn]] void abandon(const std::string& why);

 private:
  MpiTeam();
  struct Threads;
  int m_rank = 0, m_size = 1, m_hosts = 1, m_threads = 1;
  std::unique_ptr<Threads> m_limit;
};

}  // namespace tomolive
