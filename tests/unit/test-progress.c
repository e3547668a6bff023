/* test-progress.c - progress.c: nothing on a non-terminal or in the first second, percentages, throttling, clearing. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "progress.h"
#include "util.h"

int main(void)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    struct progress p;
    progress_start(&p, f, "x.data");
    CHECK(!p.on); /* a memory stream is not a terminal */
    p.start -= 2000000000ull;
    progress_update(&p, 50, 100);
    fflush(f);
    CHECK_EQ_U64(len, 0);

    p.on = true; /* as on a terminal */
    progress_start(&p, f, "x.data");
    p.on = true;
    progress_update(&p, 50, 100); /* within the first second: nothing */
    fflush(f);
    CHECK_EQ_U64(len, 0);
    p.start -= 2000000000ull;
    progress_update(&p, 42, 100);
    fflush(f);
    CHECK(strstr(buf, "\rhwprof: reading x.data:  42%") != NULL);
    size_t before = len;
    progress_update(&p, 43, 100); /* within 0.1 s of the last line: nothing */
    fflush(f);
    CHECK_EQ_U64(len, before);
    p.last -= 200000000ull;
    progress_update(&p, 3u << 20, 0); /* size unknown: bytes */
    fflush(f);
    CHECK(strstr(buf, "reading x.data: 3 MiB") != NULL);
    progress_end(&p);
    fflush(f);
    CHECK(strstr(buf, "\r\033[K") != NULL);
    CHECK(!p.shown);
    fclose(f);
    free(buf);
    return check_done("test-progress");
}
