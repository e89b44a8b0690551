#pragma once
// One live reconstruction shared by a row team (pipeline/RowTeam.h): the leader's side
// (RowShare, inside its LiveReconstruction) and the other members' (serveRows).
//
// Every member holds an ordinary LiveReconstruction of its row block, so each update is the
// single-process update of those rows; the leader's LiveReconstruction keeps, as in one
// process, the line integrals of every row (the centre estimate, the sinograms and the live
// quality read them), and delegates the solving:
//
//   receive   the window's angles to all, each member's rows of it scattered (4 bytes a pixel)
//   update    I iterations on every block at once; the residuals summed (CGLS also sums its
//             inner products every iteration, so its steps are those of the whole volume)
//   finish    the finishing pass on every block, likewise
//   centre, restart   applied by every member before the next update
//   estimate, slices  the blocks (or the slices asked for) gathered to the leader
//
// Steering, pause and stop need nothing of their own: they change what the leader asks for next,
// so every member sees them at the same window boundary.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "pipeline/LiveReconstruction.h"
#include "pipeline/RowTeam.h"

namespace tomolive {

/// Wall time the leader has spent in the team's calls, by what they carried: the windows'
/// rows going out (with their packing), the sums after each update (which include waiting for
/// the slowest member), and the slices and volumes coming back.
struct TeamTimes {
  double scatter = 0.0, sums = 0.0, gather = 0.0;
  double total() const { return scatter + sums + gather; }
};

class RowShare {
 public:
  /// The leader starts the members' reconstructions (the same arguments, each its own rows).
  /// Throws std::invalid_argument when the team has more members than `slices`.
  RowShare(std::shared_ptr<RowTeam> team, int gridSize, int slices, int columns, double centre,
           const LiveOptions& options);
  ~RowShare();  ///< the members drop their reconstructions (and wait for the next)
  RowShare(const RowShare&) = delete;
  RowShare& operator=(const RowShare&) = delete;

  void receive(const ProjectionStack& window, std::span<const double> anglesRad);
  LiveUpdate update(int iterations);
  /// The finishing pass (LiveReconstruction::finish) on every block.
  LiveUpdate finish(int iterations, bool fromZero);
  void setCentre(double centre);
  void restart();
  /// The whole volume into `into`, reusing its memory when the shape agrees (as
  /// Sirt::readEstimate); every member reuses its own block's copy too.
  void readEstimate(VolumeStack& into) const;
  std::vector<float> slices(std::span<const int> which) const;
  /// The leader's compute and the team: "… on CPU Joseph (…), rows split over 2 MPI ranks …"
  std::string description() const;
  const std::vector<RowBlock>& blocks() const { return m_blocks; }
  const std::shared_ptr<RowTeam>& team() const { return m_team; }
  const TeamTimes& times() const { return m_times; }

 private:
  std::shared_ptr<RowTeam> m_team;
  std::int32_t m_id;  ///< which of the leader's shared reconstructions, for the members
  std::vector<RowBlock> m_blocks;
  int m_gridSize, m_slices, m_columns;
  std::unique_ptr<LiveReconstruction> m_own;  ///< the leader's block
  mutable VolumeStack m_ownEstimate;          ///< its copy at the last read-back
  mutable TeamTimes m_times;
};

/// A member other than the leader: serves the leader's reconstructions (several at once: a
/// session's whole selection and its region of interest) until the leader calls dismissRows. Throws
/// TeamError when the team breaks (a member gone).
void serveRows(RowTeam& team);
/// The leader: releases the members from serveRows (at the end of the program).
void dismissRows(RowTeam& team);

}  // namespace tomolive
