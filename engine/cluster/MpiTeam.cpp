#include "cluster/MpiTeam.h"

#include <mpi.h>
#include <tbb/global_control.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
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

// Point-to-point tags of the leader's roll call, apart from the collective calls.
constexpr int kRollCallTag = 7101, kHereTag = 7102;

// "60 s", "0.5 s".
std::string seconds(std::chrono::milliseconds duration) {
  char text[32];
  std::snprintf(text, sizeof text, "%g s", std::chrono::duration<double>(duration).count());
  return text;
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
  if (!m_lost.empty()) abandon(m_lost);  // MPI_Finalize would wait for the lost rank forever
  m_limit.reset();
  int finalised = 0;
  MPI_Finalized(&finalised);
  if (!finalised) MPI_Finalize();
}

void MpiTeam::checkNotLost() const {
  if (!m_lost.empty()) throw TeamError(m_lost);
}

void MpiTeam::answerRollCall() {
  int asked = 0;
  check(MPI_Iprobe(0, kRollCallTag, MPI_COMM_WORLD, &asked, MPI_STATUS_IGNORE), "Iprobe");
  if (!asked) return;
  int here = 0;
  check(MPI_Recv(&here, 1, MPI_INT, 0, kRollCallTag, MPI_COMM_WORLD, MPI_STATUS_IGNORE), "Recv");
  here = m_rank;
  check(MPI_Send(&here, 1, MPI_INT, 0, kHereTag, MPI_COMM_WORLD), "Send");
}

void MpiTeam::loseSilentMembers(const char* call) {
  // Every member still running waits in complete(), answering: ask each, give them 2 s.
  std::vector<int> answers(std::size_t(m_size), -1);
  std::vector<MPI_Request> replies(std::size_t(m_size), MPI_REQUEST_NULL);
  int ask = 0;
  for (int k = 1; k < m_size; ++k) {
    MPI_Request sent;
    check(MPI_Isend(&ask, 1, MPI_INT, k, kRollCallTag, MPI_COMM_WORLD, &sent), "Isend");
    MPI_Request_free(&sent);
    check(MPI_Irecv(&answers[std::size_t(k)], 1, MPI_INT, k, kHereTag, MPI_COMM_WORLD,
                    &replies[std::size_t(k)]),
          "Irecv");
  }
  const auto start = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - start < std::chrono::seconds(2)) {
    for (int k = 1; k < m_size; ++k) {
      int done = 0;
      if (replies[std::size_t(k)] != MPI_REQUEST_NULL)
        check(MPI_Test(&replies[std::size_t(k)], &done, MPI_STATUS_IGNORE), "Test");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  std::string silent;
  for (int k = 1; k < m_size; ++k)
    if (answers[std::size_t(k)] != k) silent += (silent.empty() ? "" : ", ") + std::to_string(k);
  const std::string waited = seconds(m_patience);
  m_lost = silent.empty() ? "the row team did not complete MPI " + std::string(call) + " within " +
                                waited + " although every rank answers"
                          : "rank " + silent + " lost: no part in MPI " + std::string(call) +
                                " for " + waited + ", and no answer when asked (it died or hangs)";
  throw TeamError(m_lost);
}

void MpiTeam::complete(void* pending, const char* call) {
  MPI_Request& request = *static_cast<MPI_Request*>(pending);
  const auto start = std::chrono::steady_clock::now();
  // A member may wait minutes for the next window: poll, sleeping longer the longer it waits.
  auto nap = std::chrono::microseconds(20);
  for (int done = 0;;) {
    check(MPI_Test(&request, &done, MPI_STATUS_IGNORE), call);
    if (done) return;
    if (m_rank != 0)
      answerRollCall();
    else if (std::chrono::steady_clock::now() - start > m_patience)
      loseSilentMembers(call);
    std::this_thread::sleep_for(nap);
    nap = std::min(nap * 2, std::chrono::microseconds(2000));
  }
}

std::string MpiTeam::describe() const {
  // Open MPI passes mpirun's --mca settings to the ranks as OMPI_MCA_ variables.
  const char* recovery = std::getenv("OMPI_MCA_orte_enable_recovery");
  const bool survivorsKept =
      recovery && (std::string(recovery) == "1" || std::string(recovery) == "true");
  return std::to_string(m_size) + " MPI ranks on " + std::to_string(m_hosts) +
         (m_hosts == 1 ? " host" : " hosts") + " (" + std::to_string(m_threads) +
         (m_threads == 1 ? " thread" : " threads") + " each" +
         (survivorsKept
              ? "; a rank that dies is named after " + seconds(m_patience) + ", the others go on)"
              : "; a rank that dies ends every rank: mpirun --mca orte_enable_recovery "
                "1 keeps rank 0 going)");
}

void MpiTeam::broadcast(std::span<std::byte> bytes) {
  checkNotLost();
  MPI_Request request;
  check(MPI_Ibcast(bytes.data(), int(bytes.size()), MPI_BYTE, 0, MPI_COMM_WORLD, &request),
        "Ibcast");
  complete(&request, "Ibcast");
}

void MpiTeam::scatter(std::span<const float> all, std::span<const int> counts,
                      std::span<float> mine) {
  checkNotLost();
  const std::vector<int> at = m_rank == 0 ? offsets(counts) : std::vector<int>();
  MPI_Request request;
  check(MPI_Iscatterv(all.data(), counts.data(), at.data(), MPI_FLOAT, mine.data(),
                      int(mine.size()), MPI_FLOAT, 0, MPI_COMM_WORLD, &request),
        "Iscatterv");
  complete(&request, "Iscatterv");
}

void MpiTeam::gather(std::span<const float> mine, std::span<const int> counts,
                     std::span<float> all) {
  checkNotLost();
  const std::vector<int> at = m_rank == 0 ? offsets(counts) : std::vector<int>();
  MPI_Request request;
  check(MPI_Igatherv(mine.data(), int(mine.size()), MPI_FLOAT, all.data(), counts.data(), at.data(),
                     MPI_FLOAT, 0, MPI_COMM_WORLD, &request),
        "Igatherv");
  complete(&request, "Igatherv");
}

void MpiTeam::sum(std::span<double> values) {
  checkNotLost();
  MPI_Request request;
  check(MPI_Iallreduce(MPI_IN_PLACE, values.data(), int(values.size()), MPI_DOUBLE, MPI_SUM,
                       MPI_COMM_WORLD, &request),
        "Iallreduce");
  complete(&request, "Iallreduce");
}

void MpiTeam::abandon(const std::string& why) {
  std::fprintf(stderr, "MPI rank %d: %s; ending every rank\n", m_rank, why.c_str());
  std::fflush(stderr);
  MPI_Abort(MPI_COMM_WORLD, 1);
  std::abort();
}

}  // namespace tomolive
