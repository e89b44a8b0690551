#pragma once
// The tomolive-cli commands. Each takes its arguments (after the command name) and returns the
// process exit code; errors are thrown and turned into one line on stderr by main().
#include <string>
#include <vector>

namespace tomolive::cli {

using Args = std::vector<std::string>;

int runSimulate(const Args& args);
int runRecon(const Args& args);
int runInfo(const Args& args);
int runBench(const Args& args);
int runDemo(const Args& args);
int runTrainingData(const Args& args);
int runQuality(const Args& args);

/// Usage text listing every command and its options.
std::string usage();
/// The usage of one command (its blocks of usage(), with the notes that follow them); "" for a
/// command that has none.
std::string commandUsage(const std::string& command);

}  // namespace tomolive::cli
