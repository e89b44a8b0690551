// tomolive-cli: simulate, reconstruct, inspect and benchmark from the terminal.
// Bad input ends with one line on stderr naming what was wrong and exit code 2.
#include <cstdio>
#include <exception>
#include <new>
#include <stdexcept>
#include <string>

#include "cli/Arguments.h"
#include "cli/Commands.h"
#include "cli/DetectorSimCommand.h"
#include "cli/EnhanceCommand.h"
#include "cli/MethodsCommand.h"
#include "cli/RecoverCommand.h"
#include "cli/StreamCommand.h"
#include "io/DataExchange.h"
#include "io/FrameRecorder.h"
#include "nn/TomoGanModel.h"

int main(int argc, char** argv) {
  using namespace tomolive::cli;
  tomolive::skipHdf5CleanupAtExit();
  const Args all(argv + 1, argv + argc);
  const std::string command = all.empty() ? "demo" : all.front();
  const Args args = all.empty() ? Args{} : Args(all.begin() + 1, all.end());
  try {
    if (command == "simulate") return runSimulate(args);
    if (command == "recon") return runRecon(args);
    if (command == "stream") return runStream(args);
    if (command == "enhance") return runEnhance(args);
    if (command == "info") return runInfo(args);
    if (command == "bench") return runBench(args);
    if (command == "demo") return runDemo(args);
    if (command == "training-data") return runTrainingData(args);
    if (command == "quality") return runQuality(args);
    if (command == "methods") return runMethods(args);
    if (command == "recover") return runRecover(args);
    if (command == "detector-sim") return runDetectorSim(args);
    if (command == "help" || command == "--help" || command == "-h") {
      std::fputs(usage().c_str(), stdout);
      return 0;
    }
    throw UsageError("unknown command '" + command + "'");
  } catch (const UsageError& e) {
    std::fprintf(stderr, "tomolive-cli %s: %s\n%s", command.c_str(), e.what(),
                 "Run 'tomolive-cli help' for the commands and their options.\n");
    return 2;
  } catch (const tomolive::TomoGanModelError& e) {
    std::fprintf(stderr, "tomolive-cli %s: %s\n", command.c_str(), e.what());
    return 2;
  } catch (const tomolive::DataExchangeError& e) {
    std::fprintf(stderr, "tomolive-cli %s: %s\n", command.c_str(), e.what());
    return 2;
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "tomolive-cli %s: %s\n", command.c_str(), e.what());
    return 2;
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "tomolive-cli %s: out of memory\n", command.c_str());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tomolive-cli %s: %s\n", command.c_str(), e.what());
    return 1;
  }
}
