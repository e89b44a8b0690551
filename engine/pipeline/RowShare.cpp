#include "pipeline/RowShare.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <map>
#include <memory>

#include "timing/Timing.h"

namespace tomolive {

RowBlock rowBlock(int slices, int members, int member) {
  if (members < 1 || member < 0 || member >= members)
    throw std::invalid_argument("row team: member " + std::to_string(member) + " of " +
                                std::to_string(members));
  if (slices < members)
    throw std::invalid_argument("row team: " + std::to_string(members) + " members for " +
                                std::to_string(slices) + (slices == 1 ? " slice" : " slices") +
                                "; each member needs at least one row (reconstruct more "
                                "rows or start fewer processes)");
  const int base = slices / members, extra = slices % members;
  return {member * base + std::min(member, extra), base + (member < extra ? 1 : 0)};
}

int launcherProcesses() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE"})
    if (const char* v = std::getenv(name)) return std::max(1, std::atoi(v));
  return 1;
}

namespace {

enum class Op : std::int32_t {
  start,
  receive,
  update,
  finish,
  centre,
  restart,
  estimate,
  slices,
  close,
  dismiss
};

// One message from the leader to every member; the fields each operation reads.
struct Command {
  Op op = Op::close;
  std::int32_t id = 0;          // which of the leader's shared reconstructions (start: a new one)
  std::int32_t count = 0;  // receive: projections; slices: slices asked for; finish: 1 from zero
  std::int32_t iterations = 0;  // update, finish
  std::int32_t gridSize = 0, slices = 0, columns = 0;  // start
  std::int32_t method = 0, targetIterations = 0, circularMask = 0, nonNegative = 0, backend = 0;
  double centre = 0.0;  // start, centre
};

void send(RowTeam& team, Command& c) { team.broadcast(std::as_writable_bytes(std::span(&c, 1))); }

template <typename T>
void broadcastValues(RowTeam& team, std::vector<T>& values) {
  team.broadcast(std::as_writable_bytes(std::span(values)));
}

std::vector<RowBlock> blocksOf(int slices, int members) {
  std::vector<RowBlock> blocks{};
  for (int k = 0; k < members; ++k) blocks.push_back(rowBlock(slices, members, k));
  return blocks;
}

// What every member holds: its rows' reconstruction, and where everyone's rows are. A local
// failure (say, memory) is kept and reported at the next update, so that the members never fall
// out of step in the collective calls.
struct Member {
  RowTeam& team;
  std::vector<RowBlock> blocks{};
  LiveReconstruction* recon = nullptr;  // this member's rows
  int gridSize = 0, columns = 0;
  std::string failure{};
  TeamTimes* times = nullptr;  // the leader's account of its time in team calls

  // Runs f, adding its wall time to `times->*field` on the leader.
  template <typename F>
  void timed(double TeamTimes::*field, F&& f) {
    const auto start = std::chrono::steady_clock::now();
    f();
    if (times) times->*field += secondsSince(start);
  }

  const RowBlock& block() const { return blocks[std::size_t(team.member())]; }

  // This member's reconstruction (`recon` points at it), as the leader's command describes it.
  std::unique_ptr<LiveReconstruction> start(const Command& c) {
    blocks = blocksOf(c.slices, team.members());
    gridSize = c.gridSize, columns = c.columns;
    const LiveOptions options{
        .method = LiveMethod(c.method),
        .targetIterations = c.targetIterations,
        .sirt = {.circularMask = c.circularMask != 0, .nonNegative = c.nonNegative != 0},
        .backend = ComputeBackend(c.backend)};
    auto rows =
        std::make_unique<LiveReconstruction>(gridSize, block().count, columns, c.centre, options);
    RowTeam* all = &team;
    rows->sumOverRowsWith([all](double local) {
      double total[1] = {local};
      all->sum(total);
      return total[0];
    });
    recon = rows.get();
    return rows;
  }

  template <typename F>
  void locally(F&& f) {
    if (!failure.empty()) return;
    try {
      f();
    } catch (const std::exception& e) {
      failure = e.what();
    }
  }

  // `angles` is the leader's (resized on the others); `window` is read on the leader only.
  void receive(int count, std::vector<double>& angles, const ProjectionStack* window) {
    std::vector<int> counts;
    for (const RowBlock& b : blocks) counts.push_back(count * b.count * columns);
    std::vector<float> mine(std::size_t(counts[std::size_t(team.member())]));
    timed(&TeamTimes::scatter, [&] {
      angles.resize(std::size_t(count));
      broadcastValues(team, angles);
      std::vector<float> all;
      if (window) {  // pack each member's rows, [projection][slice][column]
        all.reserve(std::size_t(count) * window->slices() * columns);
        for (const RowBlock& b : blocks)
          for (int p = 0; p < count; ++p)
            for (int s = b.first; s < b.first + b.count; ++s)
              for (int j = 0; j < columns; ++j) all.push_back(window->at(p, s, j));
      }
      team.scatter(all, counts, mine);
    });
    locally([&] {
      ProjectionStack rows(count, block().count, columns);
      for (int p = 0; p < count; ++p)
        rows.setProjection(p, std::span(mine).subspan(std::size_t(p) * block().count * columns,
                                                      std::size_t(block().count) * columns));
      recon->receive(rows, angles);
    });
  }

  // The update (or the finishing pass) of every block, with the residuals (and their norms) of
  // the whole volume.
  LiveUpdate update(int iterations, bool finishing = false, bool fromZero = true) {
    LiveUpdate u;
    locally(
        [&] { u = finishing ? recon->finish(iterations, fromZero) : recon->update(iterations); });
    // How many iterations ran and who failed, first: the sums after it must be the same length.
    std::vector<double> shape(std::size_t(1 + team.members()), 0.0);
    shape[0] = double(u.history.size());
    if (!failure.empty()) shape[std::size_t(1 + team.member())] = 1.0;
    timed(&TeamTimes::sums, [&] { team.sum(shape); });
    std::string failed;
    for (int k = 0; k < team.members(); ++k)
      if (shape[std::size_t(1 + k)] > 0.0) failed += (failed.empty() ? "" : ", ") + std::to_string(k);
    if (!failed.empty())
      throw TeamError("rows of member(s) " + failed + " failed" +
                      (failure.empty() ? std::string() : " (here: " + failure + ")") +
                      "; see their log");
    if (shape[0] != double(u.history.size()) * team.members())
      throw TeamError("the members ran different numbers of iterations in update " +
                      std::to_string(u.update));
    std::vector<double> sums{u.dataNorm * u.dataNorm};
    for (const SirtIteration& h : u.history)
      sums.push_back(h.weightedResidual * h.weightedResidual), sums.push_back(h.residual * h.residual);
    timed(&TeamTimes::sums, [&] { team.sum(sums); });
    u.dataNorm = std::sqrt(sums[0]);
    for (std::size_t i = 0; i < u.history.size(); ++i)
      u.history[i] = {std::sqrt(sums[1 + 2 * i]), std::sqrt(sums[2 + 2 * i])};
    u.relativeResidual.reset();
    if (!u.history.empty() && u.dataNorm > 0.0)
      u.relativeResidual = u.history.back().residual / u.dataNorm;
    return u;
  }

  // The slices of `which` (ascending or not) that this member holds, gathered at the leader into
  // `out` in the order of `which` (gridSize² floats each).
  void slices(std::span<const int> which, std::span<float> out) {
    const std::size_t pixels = std::size_t(gridSize) * gridSize;
    std::vector<int> counts(blocks.size(), 0), local;
    for (int s : which)
      for (std::size_t k = 0; k < blocks.size(); ++k)
        if (blocks[k].contains(s)) {
          counts[k] += int(pixels);
          if (int(k) == team.member()) local.push_back(s - block().first);
        }
    std::vector<float> mine(local.size() * pixels, 0.0f);
    locally([&] { mine = recon->slices(local); });
    mine.resize(local.size() * pixels);
    std::vector<float> all(team.member() == 0 ? which.size() * pixels : 0);
    timed(&TeamTimes::gather, [&] { team.gather(mine, counts, all); });
    if (team.member() != 0) return;
    std::vector<std::size_t> next(blocks.size());  // each member's next slice in `all`
    for (std::size_t k = 1; k < blocks.size(); ++k)
      next[k] = next[k - 1] + std::size_t(counts[k - 1]) / pixels;
    for (std::size_t i = 0; i < which.size(); ++i)
      for (std::size_t k = 0; k < blocks.size(); ++k)
        if (blocks[k].contains(which[i])) {
          std::copy_n(all.begin() + std::ptrdiff_t(next[k]++ * pixels), pixels,
                      out.begin() + std::ptrdiff_t(i * pixels));
          break;
        }
  }

  // The whole estimate into `whole`, at the leader (others leave it alone). Where every block
  // starts on a lane group of the whole volume and has its lane width (say 32 slices over 2
  // members), the blocks' stores laid end to end are the whole volume's store, gathered as they
  // are — into the memory `whole` already holds when its shape agrees, as a single process's
  // read-back does; else they go slice by slice. `local` is this member's copy of its block,
  // kept between read-backs for the same reason.
  void estimate(VolumeStack& whole, VolumeStack& local) {
    const int total = blocks.back().first + blocks.back().count;
    const int lanes = lanesForSlices(total);
    bool stored = true;
    for (std::size_t k = 0; k < blocks.size(); ++k) {
      const RowBlock& b = blocks[k];
      stored = stored && lanesForSlices(b.count) == lanes && b.first % lanes == 0 &&
               (b.count % lanes == 0 || k + 1 == blocks.size());
    }
    const std::size_t pixels = std::size_t(gridSize) * gridSize;
    std::vector<int> counts;
    for (const RowBlock& b : blocks)
      counts.push_back(int(stored ? std::size_t((b.count + lanes - 1) / lanes) * lanes * pixels
                                  : std::size_t(b.count) * pixels));
    std::vector<float> sliceMajor;
    locally([&] {
      recon->readEstimate(local);
      if (!stored) sliceMajor = local.toSliceMajor();
    });
    std::vector<float> zeros;  // what a member that failed sends
    std::span<const float> mine = stored ? std::span<const float>(local.raw()) : sliceMajor;
    if (mine.size() != std::size_t(counts[std::size_t(team.member())])) {
      zeros.assign(std::size_t(counts[std::size_t(team.member())]), 0.0f);
      mine = zeros;
    }
    const bool leader = team.member() == 0;
    if (leader && stored && (whole.slices() != total || whole.gridSize() != gridSize))
      whole = VolumeStack(total, gridSize);
    std::vector<float> all(leader && !stored ? std::size_t(total) * pixels : 0);
    timed(&TeamTimes::gather, [&] {
      team.gather(mine, counts, leader && stored ? whole.raw() : std::span<float>(all));
    });
    if (leader && !stored) whole = VolumeStack::fromSliceMajor(all, total, gridSize);
  }
};

// The leader's shared reconstructions are told apart by the order they were made in.
std::int32_t nextId() {
  static std::atomic<std::int32_t> next{0};
  return next++;
}

}  // namespace

RowShare::RowShare(std::shared_ptr<RowTeam> team, int gridSize, int slices, int columns,
                   double centre, const LiveOptions& options)
    : m_team(std::move(team)),
      m_id(nextId()),
      m_blocks(blocksOf(slices, m_team->members())),
      m_gridSize(gridSize),
      m_slices(slices),
      m_columns(columns) {
  Command c{.op = Op::start,
            .id = m_id,
            .gridSize = gridSize,
            .slices = slices,
            .columns = columns,
            .method = std::int32_t(options.method),
            .targetIterations = options.targetIterations,
            .circularMask = options.sirt.circularMask,
            .nonNegative = options.sirt.nonNegative,
            .backend = std::int32_t(options.backend),
            .centre = centre};
  send(*m_team, c);
  Member leader{*m_team};
  m_own = leader.start(c);  // the same construction as the members' (throws alike)
}

RowShare::~RowShare() {
  try {
    Command c{.op = Op::close, .id = m_id};
    send(*m_team, c);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "row team: %s\n", e.what());
  }
}

void RowShare::receive(const ProjectionStack& window, std::span<const double> anglesRad) {
  Command c{.op = Op::receive, .id = m_id, .count = window.projections()};
  send(*m_team, c);
  Member leader{*m_team, m_blocks, m_own.get(), m_gridSize, m_columns, {}, &m_times};
  std::vector<double> angles(anglesRad.begin(), anglesRad.end());
  leader.receive(c.count, angles, &window);
  if (!leader.failure.empty()) throw std::runtime_error(leader.failure);
}

LiveUpdate RowShare::update(int iterations) {
  Command c{.op = Op::update, .id = m_id, .iterations = iterations};
  send(*m_team, c);
  Member leader{*m_team, m_blocks, m_own.get(), m_gridSize, m_columns, {}, &m_times};
  return leader.update(iterations);
}

LiveUpdate RowShare::finish(int iterations, bool fromZero) {
  Command c{.op = Op::finish, .id = m_id, .count = fromZero ? 1 : 0, .iterations = iterations};
  send(*m_team, c);
  Member leader{*m_team, m_blocks, m_own.get(), m_gridSize, m_columns, {}, &m_times};
  return leader.update(iterations, true, fromZero);
}

void RowShare::setCentre(double centre) {
  m_own->setCentre(centre);  // checks it before any member sees it
  Command c{.op = Op::centre, .id = m_id, .centre = centre};
  send(*m_team, c);
}

void RowShare::restart() {
  Command c{.op = Op::restart, .id = m_id};
  send(*m_team, c);
  m_own->restart();
}

void RowShare::readEstimate(VolumeStack& into) const {
  Command c{.op = Op::estimate, .id = m_id};
  send(*m_team, c);
  Member leader{*m_team, m_blocks, m_own.get(), m_gridSize, m_columns, {}, &m_times};
  leader.estimate(into, m_ownEstimate);
  if (!leader.failure.empty()) throw std::runtime_error(leader.failure);
}

std::vector<float> RowShare::slices(std::span<const int> which) const {
  for (int s : which)
    if (s < 0 || s >= m_slices)
      throw std::invalid_argument("slice " + std::to_string(s) + " outside the " +
                                  std::to_string(m_slices) + " reconstructed");
  Command c{.op = Op::slices, .id = m_id, .count = int(which.size())};
  send(*m_team, c);
  std::vector<int> asked(which.begin(), which.end());
  broadcastValues(*m_team, asked);
  Member leader{*m_team, m_blocks, m_own.get(), m_gridSize, m_columns, {}, &m_times};
  std::vector<float> out(asked.size() * std::size_t(m_gridSize) * m_gridSize);
  leader.slices(asked, out);
  if (!leader.failure.empty()) throw std::runtime_error(leader.failure);
  return out;
}

std::string RowShare::description() const {
  return m_own->description() + ", rows split over " + m_team->describe();
}

void serveRows(RowTeam& team) {
  // The leader's shared reconstructions held here (a session's whole selection, and its region
  // of interest beside it), by the leader's id.
  struct Served {
    Member m;
    std::unique_ptr<LiveReconstruction> mine{};
    VolumeStack estimate{}, none{};  // this member's block as last read back; the leader's volume
  };
  std::map<std::int32_t, Served> served;
  for (;;) {
    Command c;
    send(team, c);
    if (c.op == Op::dismiss) return;
    if (c.op == Op::start) served.erase(c.id);
    const auto [entry, fresh] = served.try_emplace(c.id, Served{Member{team}});
    Served& x = entry->second;
    Member& m = x.m;
    // (a command for a reconstruction this member never started still takes part in the
    // collective calls, and reports the failure at the next update)
    if (fresh && c.op != Op::start) m.failure = "no reconstruction " + std::to_string(c.id);
    switch (c.op) {
      case Op::start:
        m.locally([&] { x.mine = m.start(c); });
        break;
      case Op::receive: {
        std::vector<double> angles;
        m.receive(c.count, angles, nullptr);
        break;
      }
      case Op::update:
      case Op::finish:
        try {
          m.update(c.iterations, c.op == Op::finish, c.count != 0);
        } catch (const TeamError&) {  // the leader reports it and ends the reconstruction
          if (!m.failure.empty())
            std::fprintf(stderr, "row team member %d: %s\n", team.member(), m.failure.c_str());
        }
        break;
      case Op::centre:
        m.locally([&] { m.recon->setCentre(c.centre); });
        break;
      case Op::restart:
        m.locally([&] { m.recon->restart(); });
        break;
      case Op::estimate:
        m.estimate(x.none, x.estimate);
        break;
      case Op::slices: {
        std::vector<int> asked(std::size_t(c.count));
        broadcastValues(team, asked);
        m.slices(asked, {});
        break;
      }
      case Op::close:
        served.erase(c.id);
        break;
      case Op::dismiss:
        return;
    }
  }
}

void dismissRows(RowTeam& team) {
  Command c{.op = Op::dismiss};
  send(team, c);
}

}  // namespace tomolive
