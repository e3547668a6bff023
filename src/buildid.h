/* buildid.h - read GNU build ids from ELF files and from the running kernel's notes, without libelf. */
#ifndef HWPROF_BUILDID_H
#define HWPROF_BUILDID_H

#include <stddef.h>
#include <stdint.h>

#define HW_BUILD_ID_MAX 20

/* Reads the NT_GNU_BUILD_ID note of the ELF file at path (program headers first, then sections).
 * Returns the id length (1..20), 0 if the file is ELF but has no build id, or -1 (errno set; EINVAL for
 * a file that is not ELF). */
int buildid_read_file(const char *path, uint8_t id[HW_BUILD_ID_MAX]);

/* The same for an open file (its offset is not used). A file that is not regular (a FIFO, a device,
 * a directory) is refused without reading it: -1 with errno EINVAL (EISDIR for a directory). */
int buildid_read_fd(int fd, uint8_t id[HW_BUILD_ID_MAX]);

/* Reads the kernel's build id from /sys/kernel/notes. Same returns. */
int buildid_read_kernel(uint8_t id[HW_BUILD_ID_MAX]);

/* Parses ELF note records in buf (as found in PT_NOTE / SHT_NOTE / /sys/kernel/notes) and copies the
 * first GNU build id. Returns its length, or 0 if none. */
int buildid_from_notes(const void *buf, size_t len, uint8_t id[HW_BUILD_ID_MAX]);

/* Formats id as lowercase hex into out (at least 2*len+1 bytes). */
void buildid_to_hex(const uint8_t *id, int len, char *out);

#endif
