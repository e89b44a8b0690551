#pragma once
// The tomolive-cli commands, one file each (cli/<Name>Command.cpp): each adds its subcommand to
// the program's app, its options bound to its settings, and hands back what runs it.
#include "cli/Command.h"

namespace tomolive::cli {

Command addDemoCommand(CLI::App& app);
Command addSimulateCommand(CLI::App& app);
Command addReconCommand(CLI::App& app);
Command addStreamCommand(CLI::App& app);
Command addEnhanceCommand(CLI::App& app);
Command addDetectorSimCommand(CLI::App& app);
Command addTrainingDataCommand(CLI::App& app);
Command addQualityCommand(CLI::App& app);
Command addMethodsCommand(CLI::App& app);
Command addRecoverCommand(CLI::App& app);
Command addInfoCommand(CLI::App& app);
Command addBenchCommand(CLI::App& app);

}  // namespace tomolive::cli
