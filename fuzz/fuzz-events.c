/* fuzz-events.c - libFuzzer target: parse the input as an event list (events_parse, libpfm4). */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "events.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_EVENTS_MAX 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char spec[FUZZ_EVENTS_MAX + 1];
    if (size > FUZZ_EVENTS_MAX)
        size = FUZZ_EVENTS_MAX;
    memcpy(spec, data, size);
    spec[size] = '\0';

    struct hw_err err;
    struct event_list list;
    bool kernel_default = size > 0 && (data[0] & 1);
    if (events_parse(spec, kernel_default, &list, &err) == 0) {
        for (size_t i = 0; i < list.n; i++) {
            if (events_is_hardware(&list.ev[i].attr)) {
                char *old = NULL;
                if (events_fallback_cpu_clock(&list.ev[i], &old, &err) == 0)
                    free(old);
            }
        }
        events_free(&list);
    }
    return 0;
}
