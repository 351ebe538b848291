"""The console through a pseudo-terminal (120x40), on a real Alertmanager with 50,000 alerts.

  start-up: spawn → the last byte of the first frame that shows the 50,000 alerts from the
            cached snapshot (STARTS runs); reference, same run: spawn → exit of
            `klaxon --version` in the same pseudo-terminal (what starting a process costs here).
  keys:     `j`/`k` written at random moments (every 100–300 ms, KEYS of them), each timed from
            the write to the last byte of the frame that follows (output until 15 ms of quiet),
            while a storm of 50,000 new alerts arrives (1,000 every second, polled every 1 s);
            reference, same run: the same keys on the same console before the storm.
  idle:     with nothing arriving and the source's interval 10m, IDLE seconds of the process's
            context switches (every thread, /proc/<pid>/task/*/status) and bytes written,
            those in the 2 s after a minute turned (the clock and the ages show minutes) apart;
            reference: `sleep` over the same seconds.

PARTS (default "start,idle,keys") picks the parts. During the storm the console writes how
long each message took on the task that answers keys (KLAXON_UI_TIMES), summed up per kind, and
for each key the time from its read by the console's input thread to the end of the frame
written after it (the console's own part of the key-to-frame time).

Run through benches/console.sh, which builds the release binary first."""

import fcntl
import multiprocessing
import os
import random
import re
import select
import signal
import struct
import subprocess
import sys
import tempfile
import termios
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import am  # noqa: E402

N = int(os.environ.get("ALERTS", "50000"))
STARTS = int(os.environ.get("STARTS", "20"))
KEYS = int(os.environ.get("KEYS", "200"))
IDLE = int(os.environ.get("IDLE", "60"))
# PARTS picks the parts; ONLY=start (the start-up alone) is PARTS=start.
PARTS = (os.environ.get("ONLY") or os.environ.get("PARTS", "start,idle,keys")).split(",")
ESC = re.compile(rb"\x1b\[[0-9;?<>=]*[ -/]*[@-~]|\x1b[()][0-9A-Za-z]|\x1b[=>78]|\x1b\][^\x07]*\x07")
CSI = re.compile(rb"\x1b\[([0-9;?<>=]*)([ -/]*)([@-~])")


class Screen:
    """Just enough of a terminal to read ratatui's output: cursor moves, clears, text."""

    def __init__(self, rows=40, cols=120):
        self.rows, self.cols = rows, cols
        self.cells = [[" "] * cols for _ in range(rows)]
        self.r = self.c = 0
        self.rest = b""

    def feed(self, data):
        data = self.rest + data
        i, n = 0, len(data)
        while i < n:
            m = CSI.match(data, i)
            if m:
                args, final = m.group(1).decode(), m.group(3)
                nums = [int(x) for x in args.strip("?").split(";") if x.isdigit()]
                if final == b"H":
                    self.r, self.c = (nums + [1, 1])[0] - 1, (nums[1:] + [1])[0] - 1
                elif final == b"J" and args in ("2", "3"):
                    self.cells = [[" "] * self.cols for _ in range(self.rows)]
                i = m.end()
                continue
            if data[i] == 0x1B:
                if n - i < 16 and not ESC.match(data, i):
                    break  # an escape sequence cut by the read: finish it with the next one
                m = ESC.match(data, i)
                i = m.end() if m else i + 1
                continue
            width = 1 if data[i] < 0x80 else (2 if data[i] < 0xE0 else 3 if data[i] < 0xF0 else 4)
            if i + width > n:
                break
            if data[i] >= 0x20 and 0 <= self.r < self.rows and 0 <= self.c < self.cols:
                self.cells[self.r][self.c] = data[i:i + width].decode("utf-8", "replace")
                self.c += 1
            i += width
        self.rest = data[i:]

    def shows(self, text):
        return any(text in "".join(row) for row in self.cells)


class Pty:
    """A process on a fresh pseudo-terminal; its output read by us, its queries answered."""

    def __init__(self, cmd, env):
        self.master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
        self.started = time.monotonic()
        self.proc = subprocess.Popen(cmd, env=env, stdin=slave, stdout=slave, stderr=slave, start_new_session=True)
        os.close(slave)
        self.screen = Screen()
        self.bytes = 0
        self.log = []  # (wall clock, bytes) of each read

    def read(self, timeout):
        """One read within `timeout` s: (bytes, monotonic time) or (b"", None)."""
        r, _, _ = select.select([self.master], [], [], timeout)
        if not r:
            return b"", None
        try:
            data = os.read(self.master, 1 << 16)
        except OSError:
            return b"", None
        at = time.monotonic()
        self.bytes += len(data)
        self.log.append((time.time(), len(data)))
        # crossterm asks where the cursor is and what the terminal is: answer as a terminal.
        if b"\x1b[6n" in data:
            os.write(self.master, b"\x1b[1;1R")
        if b"\x1b[c" in data or b"\x1b[0c" in data:
            os.write(self.master, b"\x1b[?62c")
        self.screen.feed(data)
        return data, at

    def until(self, text, timeout):
        """Reads until `text` shows; then the frame's last byte (output until 15 ms of quiet)."""
        end = time.monotonic() + timeout
        while not self.screen.shows(text):
            if time.monotonic() > end:
                shown = "\n".join("".join(row) for row in self.screen.cells)
                raise SystemExit(f"no {text!r} within {timeout} s; the screen:\n{shown}")
            self.read(0.5)
        return self.quiet()

    def quiet(self, gap=0.015):
        last = time.monotonic()
        while True:
            data, at = self.read(gap)
            if not data:
                return last
            last = at

    def drain(self, seconds):
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self.read(max(0.0, end - time.monotonic()))

    def key(self, k):
        """Writes `k`; the time from the write to the last byte of the frame that follows."""
        self.drain(0)
        sent = time.monotonic()
        os.write(self.master, k)
        data, at = b"", None
        while not data:
            data, at = self.read(5)
            if at is None:
                return None
        return self.quiet() - sent

    def switches(self):
        """Context switches so far, per thread (a thread that ends takes its count with it)."""
        per = {}
        for t in os.listdir(f"/proc/{self.proc.pid}/task"):
            try:
                with open(f"/proc/{self.proc.pid}/task/{t}/status") as f:
                    per[t] = sum(int(line.split()[1]) for line in f
                                  if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")))
            except OSError:
                pass
        return per

    def idle(self, seconds):
        """Context switches over `seconds` of every thread, looked at every 0.5 s so those of a
        thread that ends meanwhile are counted up to its last look."""
        first, last = self.switches(), {}
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self.drain(min(0.5, max(0.0, end - time.monotonic())))
            last.update(self.switches())
        by = {}
        for t, n in last.items():
            try:
                with open(f"/proc/{self.proc.pid}/task/{t}/comm") as f:
                    name = f.read().strip()
            except OSError:
                name = "(ended)"
            by[name] = by.get(name, 0) + n - first.get(t, 0)
        print(f"<!-- idle context switches by thread: {sorted(by.items(), key=lambda kv: -kv[1])} -->")
        return sum(by.values())

    def quit(self):
        os.write(self.master, b"q")
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self.master)


def ms(s):
    return f"{s * 1000:.1f} ms"


def storm(server, storming, sent):
    """1,000 new alerts a second while `storming` is set (at most N), counted in `sent`."""
    while storming.is_set() and sent.value < N:
        t = time.monotonic()
        server.post(N + sent.value, 1000, prefix="Storm")
        sent.value += 1000
        time.sleep(max(0.0, 1 - (time.monotonic() - t)))


def ui_times(path):
    """The console's own account of the storm (KLAXON_UI_TIMES): per kind of work, how often
    and how long (median / p99 / max)."""
    kinds = {}
    with open(path) as f:
        for line in f:
            kind, _, us = line.rstrip("\n").rpartition(" ")
            kinds.setdefault(kind, []).append(int(us) / 1e6)
    for kind, xs in sorted(kinds.items()):
        print(f"| | during the storm, {kind}: {len(xs)}× median / p99 / max | {ms(am.median(xs))} / "
              f"{ms(am.percentile(xs, 99))} / {ms(max(xs))} |")


def main():
    title = f"Alerts {N}/{N}"
    print(f"<!-- benches/console.sh: load average before: {am.load_average()} -->")
    print("| command | what | result |")
    print("|---|---|---|")
    with tempfile.TemporaryDirectory() as work:
        # The server in a session of its own, as the console is: Linux gives each session a
        # scheduling group (autogroup), and in the harness's group the server's busy threads
        # kept the harness, which stands for the person's terminal, waiting up to 90 ms for a
        # core before it could take a frame's time (perf sched).
        server = am.Alertmanager(work, own_session=True)
        try:
            server.post(0, N)
            server.wait_for(N)
            env = am.klaxon_env(work, server, interval="10m")
            # The first console polls and caches the snapshot; the later ones start from it.
            first = Pty([am.KLAXON], env)
            first.until(title, 120)
            first.drain(3)
            first.quit()

            if "start" in PARTS:
                starts, floor = [], []
                for _ in range(STARTS):
                    p = Pty([am.KLAXON, "--version"], env)
                    p.proc.wait()
                    floor.append(time.monotonic() - p.started)
                    p.drain(0.05)
                    os.close(p.master)
                    p = Pty([am.KLAXON], env)
                    starts.append(p.until(title, 60) - p.started)
                    p.quit()
                cmd = "`bash benches/console.sh`"
                print(f"| {cmd} | start-up to the first frame with {N:,} alerts from the cached snapshot "
                      f"(median / p90 / max of {STARTS}) | **{ms(am.median(starts))}** / {ms(am.percentile(starts, 90))} / "
                      f"{ms(max(starts))} (limit 100 ms) |")
                print(f"| | reference, same run: `klaxon --version` spawned to exit in the same pseudo-terminal "
                      f"(median) | {ms(am.median(floor))} |")

            if not {"idle", "keys"} & set(PARTS):
                return
            # Idle first (nothing arrives, no poll due within the window), then keys.
            env = am.klaxon_env(work, server, interval="10m")
            p = Pty([am.KLAXON], env)
            p.until(title, 60)
            # The first poll (50,000 alerts, recorded in the store) ends after the first frame:
            # idle is from when nothing has been written for 10 s.
            quiet, end = time.monotonic(), time.monotonic() + 300
            while time.monotonic() - quiet < 10 and time.monotonic() < end:
                if p.read(0.5)[0]:
                    quiet = time.monotonic()
            keys = [b"j", b"k"]
            if "idle" in PARTS:
                written, since = p.bytes, time.time()
                sleeper = subprocess.Popen(["sleep", str(IDLE)])
                switched = p.idle(IDLE)
                written = p.bytes - written
                with open(f"/proc/{sleeper.pid}/status") as f:
                    s = sum(int(line.split()[1]) for line in f if "ctxt_switches" in line)
                sleeper.wait()
                at_minute = sum(n for t, n in p.log if t >= since and t % 60 < 2)
                turns = int(time.time() // 60) - int(since // 60)
                print(f"| | idle console, {IDLE} s between polls: context switches (all threads) / bytes written "
                      f"(of which in the 2 s after the minute turned, {turns}×: the clock and ages) | "
                      f"**{switched}** / **{written}** ({at_minute}) (reference, same run: `sleep {IDLE}` "
                      f"{s} / 0) |")

            calm = [p.key(keys[i % 2]) for i in range(KEYS // 4)]
            p.quit()
            if "keys" not in PARTS:
                return

            times = os.path.join(work, "ui-times")
            env = dict(am.klaxon_env(work, server, interval="1s"), KLAXON_UI_TIMES=times)
            p = Pty([am.KLAXON], env)
            p.until(title, 60)
            p.drain(2)
            # The storm is posted from a process of its own: a thread of this one would hold
            # the interpreter's lock while it builds and encodes each batch, and the keys' times
            # (taken here) would wait for it.
            storming, sent = multiprocessing.Event(), multiprocessing.Value("i", 0)
            storming.set()
            poster = multiprocessing.get_context("fork").Process(target=storm, args=(server, storming, sent))
            poster.start()
            lat = []
            for i in range(KEYS):
                time.sleep(random.uniform(0.1, 0.3))
                d = p.key(keys[i % 2])
                if d is not None:
                    lat.append(d)
            storming.clear()
            poster.join()
            shown = re.findall(r"Alerts (\d+)/(\d+)", "".join("".join(row) for row in p.screen.cells))
            p.quit()
            print(f"| | key to frame while {sent.value:,} new alerts arrive (1,000 a second, polled every 1 s, "
                  f"{N:,} already listed): median / p99 / max of {len(lat)} keys | **{ms(am.median(lat))}** / "
                  f"**{ms(am.percentile(lat, 99))}** / {ms(max(lat))} (limit p99 50 ms) |")
            print(f"| | reference, same run: the same keys before the storm (median / p99 of {len(calm)}) | "
                  f"{ms(am.median(calm))} / {ms(am.percentile(calm, 99))} |")
            if shown:
                print(f"<!-- the count on screen after the keys: {shown[-1][0]}/{shown[-1][1]} -->")
            ui_times(times)
        finally:
            server.stop()
            print(f"<!-- load average after: {am.load_average()} -->")


if __name__ == "__main__":
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    main()
