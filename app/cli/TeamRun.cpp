#include "cli/TeamRun.h"

#include <csignal>
#include <cstdio>
#include <string>

#include "cli/Command.h"
#include "pipeline/RowShare.h"
#ifdef TOMOLIVE_HAVE_MPI
#include "cluster/MpiTeam.h"
#endif

namespace tomolive::cli {

namespace {

std::shared_ptr<RowTeam> joinTeam(bool asked) {
  const int launched = launcherProcesses();
#ifdef TOMOLIVE_HAVE_MPI
  if (asked || launched > 1) return MpiTeam::join();
  return nullptr;
#else
  if (asked) throw UsageError("--mpi: this build has no MPI (install libopenmpi-dev, rebuild)");
  if (launched > 1)
    throw std::runtime_error("started as one of " + std::to_string(launched) +
                             " MPI processes, but this build has no MPI: each would run a command "
                             "of its own (install libopenmpi-dev and rebuild)");
  return nullptr;
#endif
}

// The leader releases the other ranks however it ends.
struct Dismissal {
  std::shared_ptr<RowTeam> team;
  ~Dismissal() {
    if (!team || team->members() < 2) return;
    try {
      dismissRows(*team);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "tomolive-cli: releasing the other ranks: %s\n", e.what());
    }
  }
};

}  // namespace

int runAsTeam(bool asked, const std::function<int(std::shared_ptr<RowTeam>)>& leader) {
  const std::shared_ptr<RowTeam> team = joinTeam(asked);
  if (team && team->member() != 0) {
    // Ctrl-C reaches every rank (mpirun forwards it): the leader stops the acquisition and
    // finishes the session, which needs these ranks until it dismisses them.
    std::signal(SIGINT, SIG_IGN);
    std::signal(SIGTERM, SIG_IGN);
    try {
      serveRows(*team);
      return 0;
    } catch (const std::exception& e) {
      std::fprintf(stderr, "tomolive-cli: rank %d: %s\n", team->member(), e.what());
      return 1;
    }
  }
  const Dismissal dismissal{team};
  return leader(team);
}

}  // namespace tomolive::cli
