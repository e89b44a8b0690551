#include "cluster/MpiTeam.h"

#include <mpi.h>
#include <tbb/global_control.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

namespace tomolive {

namespace {

void check(int rc, const char* call) {
  if (rc == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(rc, text, &length);
  throw TeamError(std::string("MPI ") + call + ": " + std::string(text, std::size_t(length)));
}

// Offsets of consecutive parts of the given sizes.
std::vector<int> offsets(std::span<const int> counts) {
  std::vector<int> at(counts.size(), 0);
  for (std::size_t k = 1; k < counts.size(); ++k) at[k] = at[k - 1] + counts[k - 1];
  return at;
}

}  // namespace

struct MpiTeam::Threads {
  tbb::global_control limit;
};

std::shared_ptr<MpiTeam> MpiTeam::join() {
  static std::weak_ptr<MpiTeam> joined;
  if (auto team = joined.lock()) return team;
  auto team = std::shared_ptr<MpiTeam>(new MpiTeam());
  joined = team;
  return team;
}

MpiTeam::MpiTeam() {
  int initialised = 0;
  MPI_Initialized(&initialised);
  if (!initialised) {
    int provided = 0;
    check(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_SERIALIZED, &provided), "Init_thread");
    if (provided < MPI_THREAD_SERIALIZED)
      throw TeamError("this MPI library cannot be called from the reconstruction thread "
                      "(MPI_THREAD_SERIALIZED not provided)");
  }
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  check(MPI_Comm_rank(MPI_COMM_WORLD, &m_rank), "Comm_rank");
  check(MPI_Comm_size(MPI_COMM_WORLD, &m_size), "Comm_size");
  // Ranks on this host share its cores.
  MPI_Comm host;
  check(MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &host),
        "Comm_split_type");
  int onHost = 1, hostRank = 0;
  MPI_Comm_size(host, &onHost);
  MPI_Comm_rank(host, &hostRank);
  MPI_Comm_free(&host);
  int first = hostRank == 0 ? 1 : 0;
  check(MPI_Allreduce(&first, &m_hosts, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD), "Allreduce");
  const int cores = int(std::max(1u, std::thread::hardware_concurrency()));
  m_threads = std::max(1, cores / onHost);
  m_limit.reset(new Threads{tbb::global_control(tbb::global_control::max_allowed_parallelism,
                                                std::size_t(m_threads))});
}

MpiTeam::~MpiTeam() {
  m_limit.reset();
  int finalised = 0;
  MPI_Finalized(&finalised);
  if (!finalised) MPI_Finalize();
}

std::string MpiTeam::describe() const {
  return std::to_string(m_size) + " MPI ranks on " + std::to_string(m_hosts) +
         (m_hosts == 1 ? " host" : " hosts") + " (" + std::to_string(m_threads) +
         (m_threads == 1 ? " thread" : " threads") + " each)";
}

void MpiTeam::broadcast(std::span<std::byte> bytes) {
  MPI_Request request;
  check(MPI_Ibcast(bytes.data(), int(bytes.size()), MPI_BYTE, 0, MPI_COMM_WORLD, &request),
        "Ibcast");
  if (m_rank == 0) {
    check(MPI_Wait(&request, MPI_STATUS_IGNORE), "Wait");
    return;
  }
  // A member may wait minutes for the next window: poll, sleeping longer the longer it waits.
  auto nap = std::chrono::microseconds(20);
  for (int done = 0;;) {
    check(MPI_Test(&request, &done, MPI_STATUS_IGNORE), "Test");
    if (done) return;
    std::this_thread::sleep_for(nap);
    nap = std::min(nap * 2, std::chrono::microseconds(2000));
  }
}

void MpiTeam::scatter(std::span<const float> all, std::span<const int> counts,
                      std::span<float> mine) {
  const std::vector<int> at = m_rank == 0 ? offsets(counts) : std::vector<int>();
  check(MPI_Scatterv(all.data(), counts.data(), at.data(), MPI_FLOAT, mine.data(),
                     int(mine.size()), MPI_FLOAT, 0, MPI_COMM_WORLD),
        "Scatterv");
}

void MpiTeam::gather(std::span<const float> mine, std::span<const int> counts,
                     std::span<float> all) {
  const std::vector<int> at = m_rank == 0 ? offsets(counts) : std::vector<int>();
  check(MPI_Gatherv(mine.data(), int(mine.size()), MPI_FLOAT, all.data(), counts.data(),
                    at.data(), MPI_FLOAT, 0, MPI_COMM_WORLD),
        "Gatherv");
}

void MpiTeam::sum(std::span<double> values) {
  check(MPI_Allreduce(MPI_IN_PLACE, values.data(), int(values.size()), MPI_DOUBLE, MPI_SUM,
                      MPI_COMM_WORLD),
        "Allreduce");
}

void MpiTeam::abandon(const std::string& why) {
  std::fprintf(stderr, "MPI rank %d: %s; ending every rank\n", m_rank, why.c_str());
  std::fflush(stderr);
  MPI_Abort(MPI_COMM_WORLD, 1);
  std::abort();
}

}  // namespace tomolive
