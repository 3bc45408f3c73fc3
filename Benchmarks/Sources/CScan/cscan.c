// The baseline: a raw libyaml event scan, the least any libyaml-based loader has to do.
#include "CScan.h"

#include <stdio.h>
#include <stdlib.h>
#include <yaml.h>

int cscan_file(const char *path, cscan_totals *totals) {
  FILE *f = fopen(path, "rb");
  if (!f) return -1;
  if (fseek(f, 0, SEEK_END) != 0) {
    fclose(f);
    return -1;
  }
  long size = ftell(f);
  rewind(f);
  unsigned char *buf = malloc(size > 0 ? (size_t)size : 1);
  if (!buf || fread(buf, 1, (size_t)size, f) != (size_t)size) {
    free(buf);
    fclose(f);
    return -1;
  }
  fclose(f);

  yaml_parser_t parser;
  if (!yaml_parser_initialize(&parser)) {
    free(buf);
    return -2;
  }
  yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING);
  yaml_parser_set_input_string(&parser, buf, (size_t)size);
  int rc = 0;
  for (;;) {
    yaml_event_t event;
    if (!yaml_parser_parse(&parser, &event)) {
      rc = -2;
      break;
    }
    totals->events += 1;
    if (event.type == YAML_SCALAR_EVENT) totals->scalar_bytes += event.data.scalar.length;
    int done = event.type == YAML_STREAM_END_EVENT;
    yaml_event_delete(&event);
    if (done) break;
  }
  yaml_parser_delete(&parser);
  free(buf);
  return rc;
}
