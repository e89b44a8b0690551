#include <cstdio>
#include "bench/ProjectorBenchmark.h"
int main() { auto r = tomolive::runProjectorBenchmark({}); std::fputs(tomolive::formatProjectorBenchmark(r).c_str(), stdout); }
