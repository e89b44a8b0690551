#pragma once
// Commands that reconstruct (stream, bench stream) under mpirun: rank 0 runs the command, its
// live reconstructions shared by rows with the other ranks (pipeline/RowTeam.h), which serve
// them until rank 0 is done. Alone (no launcher, no --mpi) the command just runs.
#include <functional>
#include <memory>

#include "pipeline/RowTeam.h"

namespace tomolive::cli {

/// Runs `leader` with the team (null when alone) on rank 0, and serves rows on the other ranks;
/// the other ranks are released however `leader` ends (a return or an exception). `asked`:
/// --mpi. A build without MPI refuses --mpi (UsageError) and a start under mpirun
/// (std::runtime_error: every rank would run a command of its own).
int runAsTeam(bool asked, const std::function<int(std::shared_ptr<RowTeam>)>& leader);

}  // namespace tomolive::cli
