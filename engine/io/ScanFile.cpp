#include "io/ScanFile.h"

#include "io/NexusTomo.h"

namespace tomolive {

ScanFormat detectScanFormat(const std::string& path) {
  return isNxTomoFile(path) ? ScanFormat::NxTomo : ScanFormat::DataExchange;
}

DataExchangeInfo inspectScan(const std::string& path) {
  return detectScanFormat(path) == ScanFormat::NxTomo ? inspectNxTomo(path)
                                                      : inspectDataExchange(path);
}

RawScan readScan(const std::string& path, RowRange rows) {
  return detectScanFormat(path) == ScanFormat::NxTomo ? readNxTomo(path, rows)
                                                      : readDataExchange(path, rows);
}

void writeScan(const std::string& path, const ScanToWrite& scan, ScanFormat format) {
  if (format == ScanFormat::NxTomo)
    writeNxTomo(path, scan);
  else
    writeDataExchange(path, scan);
}

}  // namespace tomolive
