#!/usr/bin/env python3
# perfdata.py - writes small perf.data files from scratch for hostile-input tests: events with ids,
# side-band records and samples, described by a scenario name.
#
# usage: perfdata.py SCENARIO OUT
#   fork-bomb     one process with 8,000 mappings forks 8,000 children, then samples in them
#   unknown-ids   two events; half of the samples carry an id that names neither
import struct
import sys

PERF_RECORD_MMAP2, PERF_RECORD_FORK, PERF_RECORD_SAMPLE = 10, 7, 9
PERF_SAMPLE_IP, PERF_SAMPLE_TID, PERF_SAMPLE_TIME, PERF_SAMPLE_IDENTIFIER = 1, 2, 4, 1 << 16
ATTR_SIZE = 112  # PERF_ATTR_SIZE_VER5
SW_CPU_CLOCK = 0


def attr(config, sample_type):
    a = bytearray(ATTR_SIZE)
    struct.pack_into("<IIQQQQQ", a, 0, 1, ATTR_SIZE, config, 1000, sample_type, 0, 0)
    flags = 1 << 18  # sample_id_all
    struct.pack_into("<Q", a, 40, flags)
    return bytes(a)


def record(rtype, misc, body):
    return struct.pack("<IHH", rtype, misc, 8 + len(body)) + body


def trailer(sample_type, pid, tid, time, ident):
    out = b""
    if sample_type & PERF_SAMPLE_TID:
        out += struct.pack("<II", pid, tid)
    if sample_type & PERF_SAMPLE_TIME:
        out += struct.pack("<Q", time)
    if sample_type & PERF_SAMPLE_IDENTIFIER:
        out += struct.pack("<Q", ident)
    return out


def mmap2(st, pid, start, length, pgoff, name, time, ident):
    n = name.encode() + b"\0"
    n += b"\0" * (-len(n) % 8)
    body = struct.pack("<IIQQQIIQQII", pid, pid, start, length, pgoff, 8, 1, 1234, 0, 5, 2) + n
    return record(PERF_RECORD_MMAP2, 2, body + trailer(st, pid, pid, time, ident))


def fork(st, pid, ppid, time, ident):
    body = struct.pack("<IIIIQ", pid, ppid, pid, ppid, time)
    return record(PERF_RECORD_FORK, 0, body + trailer(st, pid, pid, time, ident))


def sample(st, ip, pid, time, ident):
    body = b""
    if st & PERF_SAMPLE_IDENTIFIER:
        body += struct.pack("<Q", ident)
    body += struct.pack("<Q", ip)
    body += struct.pack("<II", pid, pid)
    body += struct.pack("<Q", time)
    return record(PERF_RECORD_SAMPLE, 2, body)


def write(path, attrs, records):
    """attrs: list of (attr bytes, [ids])."""
    header = 104
    attr_entry = ATTR_SIZE + 16
    ids = b"".join(struct.pack("<%dQ" % len(i), *i) for _, i in attrs)
    ids_at = header
    attrs_at = ids_at + len(ids)
    table = b""
    off = ids_at
    for a, i in attrs:
        table += a + struct.pack("<QQ", off, 8 * len(i))
        off += 8 * len(i)
    data = b"".join(records)
    data_at = attrs_at + len(table)
    h = struct.pack("<8sQQ", b"PERFILE2", header, attr_entry)
    h += struct.pack("<QQQQQQ", attrs_at, len(table), data_at, len(data), 0, 0)
    h += b"\0" * 32  # no features
    with open(path, "wb") as f:
        f.write(h + ids + table + data)


def fork_bomb(path):
    st = PERF_SAMPLE_IP | PERF_SAMPLE_TID | PERF_SAMPLE_TIME
    recs = []
    t = 1
    for i in range(8000):
        recs.append(mmap2(st, 1000, 0x10000000 + i * 0x2000, 0x1000, 0, "/nonexistent/lib%d.so" % i, t, 0))
        t += 1
    for i in range(8000):
        recs.append(fork(st, 2000 + i, 1000, t, 0))
        t += 1
    for i in range(8000):
        recs.append(sample(st, 0x10000000 + (i % 8000) * 0x2000 + 0x10, 2000 + i, t, 0))
        t += 1
    write(path, [(attr(SW_CPU_CLOCK, st), [1])], recs)


def unknown_ids(path):
    st = PERF_SAMPLE_IDENTIFIER | PERF_SAMPLE_IP | PERF_SAMPLE_TID | PERF_SAMPLE_TIME
    recs = [mmap2(st, 1000, 0x400000, 0x1000, 0, "/nonexistent/prog", 1, 11)]
    for i in range(2432):
        ident = (11, 22)[i % 2] if i < 1216 else 999
        recs.append(sample(st, 0x400010, 1000, 2 + i, ident))
    write(path, [(attr(SW_CPU_CLOCK, st), [11]), (attr(3, st), [22])], recs)


if __name__ == "__main__":
    {"fork-bomb": fork_bomb, "unknown-ids": unknown_ids}[sys.argv[1]](sys.argv[2])
