#ifndef CSCAN_H
#define CSCAN_H

#include <stdint.h>

/// What a raw scan of one file saw.
typedef struct {
  uint64_t events;
  uint64_t scalar_bytes;
} cscan_totals;

/// Reads the file at `path` and parses every libyaml event, adding the event count and the scalar
/// lengths to `totals`. Nothing else is built. Returns 0 on success, -1 when the file cannot be
/// read, -2 on a libyaml error.
int cscan_file(const char *path, cscan_totals *totals);

#endif
