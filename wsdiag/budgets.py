"""Every time and size budget of a run, in one place, each with why it has that value.

Seconds unless named otherwise. ``bench/`` measures what a run costs against these; tests
never assert timings.
"""

from __future__ import annotations

# --- the user's knobs -----------------------------------------------------------------------
DEFAULT_TIMEOUT = 2.0  # per probe and per DNS lookup: a VPN resolver with a cold cache fits
MAX_TIMEOUT = 60.0  # beyond this a "check" is a hang to the person waiting for it
# A probe shorter than this cannot tell a slow resolver, a distant endpoint or a busy laptop
# from a silent network: it would blame the network for wsdiag's own impatience. The
# slowest honest answer on a LAN is a handshake's CPU, not the wire: measured in the lab's
# minimal-egress network on 2 cores, a QUIC handshake (aioquic's crypto on the event loop)
# took 50-100 ms idle and up to 420 ms with three CPU-bound processes beside it. At
# --timeout 0.05 that healthy network was "blocked" (AUTH_UNREACHABLE, ENDPOINT_ADDRESS_
# PARTIAL), at 0.1-0.3 s it had false warnings (ENDPOINT_DNS_SLOW, OPTIONAL_DOMAINS_
# UNREACHABLE), from 0.5 s it was ready, loaded or not.
MIN_TIMEOUT = 0.5
# The whole run: long enough for the slowest timeout's DNS + connect phases, short enough
# that an engine's job (SSM, Intune) never waits on wsdiag for long.
MAX_DEADLINE = 300.0
# Default whole-run deadline = DNS (one timeout) + the probes (one timeout) + this slack for
# process scheduling on a busy laptop: 2 x timeout + 1.
DEADLINE_SLACK = 1.0

# Informational probes (a catalog target with need "informational": the health-check host's
# 4195, smart-card sign-in) cannot change the verdict, only explain the client's own network
# check: they run on this shorter clock (or --timeout, if smaller), so a network where
# everything else answers ("it works") does not wait a whole --timeout for their silence.
# A second is many round trips to any region; silence that long is read like any silence
# within its timeout (filtered), and the report says "no answer within 1.0 s".
INFO_TIMEOUT = 1.0
# The default deadline counts from the process start; on a loaded machine (20 runs on 2
# cores) the start alone took seconds and ate the probes' time. A start later than
# START_ALLOWANCE (a normal start on a slow laptop, inside DEADLINE_SLACK) extends the
# default deadline by the lateness, at most MAX_START_LAG: the wall an SSM or Intune job
# sees stays 2 x timeout + DEADLINE_SLACK + MAX_START_LAG. An explicit --deadline is the
# caller's wall and never moves.
START_ALLOWANCE = 0.5
MAX_START_LAG = 2.0

# --- DNS --------------------------------------------------------------------------------------
# A query is re-sent on the same socket every timeout x this share (so about three sends
# per lookup), while it keeps listening for an answer to any of them: one lost datagram is
# not a "timeout", and a slow answer to the first send still counts.
DNS_RETRANSMIT_SHARE = 1 / 3
DNS_MIN_RETRANSMIT = 0.2  # never re-send faster than this: a slow resolver is not flooded
# Servers after the first start one by one within this share of the lifetime, so the last
# one still has at least (1 - share) of the timeout to answer, and a good server after dead
# ones is heard; the first server is asked alone for a while, as the OS resolver would.
DNS_STAGGER_SHARE = 0.5
# The runner's guard over a lookup: the lookup ends itself at its budget; this grace only
# catches a lookup that does not (a bug), and never extends a silent network's cost. It
# must outlast the event loop's lateness on a loaded machine: when the loop wakes late,
# the lookup's own timer and the guard's are both due, and a guard only 50 ms behind fired
# first, turning a resolver's silence into an error ("unknown").
DNS_GUARD_GRACE = 0.25
# ... and this share of a long lookup (the private name's patience, up to 10 s): a busy
# laptop's event loop may be late by more than 50 ms over many seconds of tasks.
DNS_GUARD_SHARE = 0.02
# The most the private name's lookup may wait past --timeout, when its server has answered
# another query of this run (a slow conditional forwarder, not a silent network): the OS's
# own budget (resolv.conf timeout x attempts, 10 s by Microsoft KB 2834226 on Windows),
# never more than this, so one slow forwarder cannot make a run longer than an engine's job
# allows. A resolver that answered nothing still ends at --timeout.
DNS_OS_BUDGET_MAX = 10.0
# Past --timeout (patience) a query is re-sent this often: a slow forwarder is waited on,
# not flooded; glibc's own stub re-sends after its timeout (5 s) at the earliest.
DNS_PATIENT_RETRANSMIT = 1.0
# Follow-ups asked of each server (CD, SOA, ipv4only.arpa) get this long at most: the
# DNSSEC rule compares the plain and CD answers only when both came within a second.
DNS_FOLLOWUP_TIMEOUT = 1.0

# --- probes -----------------------------------------------------------------------------------
TLS_MIN_BUDGET = 0.05  # a handshake started with less time left than this cannot finish
# QUIC's own idle timer is set beyond our timeout, so that aioquic never decides for us.
QUIC_IDLE_MARGIN = 10.0
# The proxy's name through --nameserver (A and AAAA at once) when no probe timeout is given:
# the run's DNS lookups get the same second.
PROXY_RESOLVE_TIMEOUT = 1.0
MAX_PROXY_HEAD = 8192  # bytes: a proxy's answer to CONNECT (status lines + headers)

# --- fan-out -----------------------------------------------------------------------------------
# The endpoint addresses probed: the first this many, in answer order. An interface endpoint
# has one address per subnet (availability zone), a handful at most; thousands are a broken
# or hostile answer, and four probes each would outlast any deadline (2,000 addresses cost
# 10.8 s and 420 MB before this cap). The rest are reported as not probed: never "ready".
MAX_ENDPOINT_ADDRESSES = 16
# Probes in flight at once. Each holds a socket (macOS allows 256 descriptors per process by
# default) and QUIC setup costs CPU the event loop needs for the deadline. The default
# catalog with a full endpoint (16 addresses x 4 checks + the internet's ~20) fits, so a
# normal run never waits for a slot; an organisation's large catalog queues, and what the
# deadline then cuts short is reported as such.
MAX_CONCURRENT_PROBES = 96

# This machine's routes and process list are gathered beside the probes, within the run
# deadline; when the runner ends, what is still being gathered gets this long at most
# beyond the deadline (then its facts are unknown): reading the routing table and the
# process list is local and takes milliseconds.
HOST_PATHS_GRACE = 0.05

# What the report needs after the network (the rules' and renderers' imports, this
# machine's routes and process list) is done in a thread while DNS and the probes wait,
# starting this long after the runner: the first packets and quick answers are in by then.
# A thread busy beside the probes' first round trips shares the interpreter with the event
# loop and made the endpoint's measured connect time tens of ms longer in the lab (its RTT
# decides ENDPOINT_HIGH_RTT); a silent network waits far longer than this.
BACKGROUND_DELAY = 0.1

# The QUIC kind's import (aioquic: ~0.1 s of CPU on a busy 2-core laptop) waits until the
# run's lookups have ended: every probe waits for its name, a QUIC packet also for aioquic,
# and the two shared the interpreter (in the lab, internet silent: the last lookup ended
# ~0.1 s after the run started instead of ~0.05 s, and the run ~0.09 s later; minimal
# egress, UDP blocked and a healthy LAN, where QUIC decides, were no slower). At most this
# long: a slow lookup never holds the QUIC probes back for more. The price: a resolver's
# round trip (tens of ms to a remote one) is no longer spent importing aioquic.
LANE_YIELD_MAX = 0.1

# --- the run ------------------------------------------------------------------------------------
# The composition root's last guard over the runner (which ends itself at the deadline):
# if this ever fires, it is a bug, reported as an internal error rather than a hang.
RUN_GUARD = 5.0
# The client's logs are context, not the diagnosis: reading them (inside the run deadline,
# which counts from the process start) stops after this share of the deadline, at most
# LOGS_READ_MAX, so a log directory built to be slow costs a fraction of the default
# deadline's slack (start-up ~0.3 s + logs <= 0.5 s < DEADLINE_SLACK), never the probes' time.
LOGS_DEADLINE_SHARE = 0.15
LOGS_READ_MAX = 0.5
# Which client-log sessions count in a check (issue 19 item 1): those of the last week. A
# session older than that tells about another network, client version or directory; it is
# a note with its age, never a finding beside a live verdict. ``--logs-since`` changes it.
LOGS_RECENT_S = 7 * 86400.0
# loginctl answers from logind's memory in milliseconds; a hung D-Bus must not hold a check.
CONSOLE_USER_TIMEOUT = 1.0

# --- the cloud cross-check (--aws) ---------------------------------------------------------
# The AWS reads run after the probes, in their own share of the run deadline: without
# --deadline the run grows by it (the probes keep the default's full time: 5 s becomes
# 7.5 s, 2.5 s of it for AWS); with --deadline the probes get (1 - share) of it. About ten
# read-only calls, six of them in parallel, each a round trip of 50-300 ms from a laptop to
# the regional API, plus botocore's start-up (~0.3 s): 2.5 s covers a retry of the slowest.
AWS_BUDGET_SHARE = 1 / 3
# Each call's connect and read timeouts: the share divided so that two attempts of both
# fit (botocore's standard retry mode, max_attempts 2), never less than this floor (a TLS
# handshake to the API cannot be quicker), never more than this ceiling.
AWS_MIN_CALL_TIMEOUT = 0.2
AWS_MAX_CALL_TIMEOUT = 3.0
AWS_MAX_PAGES = 5  # pages of one listing (NextToken) at most: a bounded cost in a big account
AWS_THREADS = 4  # independent reads in flight at once (ENIs, groups, ACLs, routes, resolver)

# --- summarize (collected reports; issue 18) ----------------------------------------------------
# One document (a JSON line, or a pretty file) larger than this is counted "too large" and
# never parsed: the largest real report is about 38 kB as one line (69 kB indented), and a
# parser's objects cost 20-50 times the text (one 40 MB line of `{},` took 1.8 GB).
MAX_REPORT_BYTES = 1 << 20
# Decompressed bytes read from one .gz file: 10^4 of the largest reports (one line each) are
# ~400 MB; beyond this a file is a bomb or a collection to be given as several files.
SUMMARIZE_GZIP_MAX_BYTES = 1 << 30
# Similar reports gzip about 110-140 times (measured: byte-identical compact reports 138x),
# runs of one byte (a bomb of newlines) 1,028x, deflate's ceiling. Judged only beyond
# SUMMARIZE_RATIO_AFTER decompressed bytes, so a real collection is always read in full.
SUMMARIZE_GZIP_MAX_RATIO = 400
SUMMARIZE_RATIO_AFTER = 64 << 20
# Wall time spent on one file (not stdin, whose producer sets the pace): a 1 GiB file reads
# in about 10 s on a busy laptop; a file costing more is built to be slow.
SUMMARIZE_FILE_SECONDS = 30.0
# Records in one file that were not reports (broken or foreign) after which the file is
# given up, when they also outnumber its reports: a file of a million junk lines says
# nothing more after its first thousand, and each costs a parse.
SUMMARIZE_MAX_UNUSABLE = 1000
# `summarize --latest/--owner` (issue 19): one row per host, its newest report. A row is a
# few hundred bytes; 10,000 hosts is a large fleet's to-do list and ~5 MB of memory; hosts
# past it are counted (``hosts.over_cap``), never silently dropped.
MAX_HOSTS = 10_000

# --- session quality (issue 20) ---------------------------------------------------------------
# Samples per answered endpoint path (--samples). Small, because samples run only while the
# run still waits for its planned probes and never extend it: on a healthy LAN the run is
# over in tens of ms and few are sent; on a slow path, where the figures matter, the
# planned probes take longer and leave room for these. bench/bench_quality.py measures
# that the default moves neither the silent-network bound nor the healthy-LAN time.
DEFAULT_SAMPLES = 5
MAX_SAMPLES = 200  # 8 paths x 200 at the interval below stays under 100 handshakes/s
# Seconds between the starts of one path's samples. Fixed, and samples do not wait on
# each other, so a slow answer never delays the next sample (the figures describe the
# path, not wsdiag's pacing); 20 ms is below DCV's frame interval at 30 fps (33 ms).
SAMPLE_INTERVAL = 0.02
# One sample's timeout: below Linux's initial SYN retransmission timeout (1 s, RFC 6298
# section 2.1 via TCP_TIMEOUT_INIT), so a TCP sample never sees a retransmitted SYN and a
# missing SYN-ACK is a lost packet; QUIC samples send one Initial and never retransmit.
SAMPLE_TIMEOUT = 0.9
# A TCP sample slower than this is a retransmission (the kernel's, after its 1 s RTO), not
# a round trip: counted apart, never in the RTT figures.
SAMPLE_RETRANSMIT_MS = 900.0
# Fewer answered samples than this: jitter and the grade are unknown (a mean of consecutive
# differences needs at least two differences).
QUALITY_MIN_ANSWERED = 3
# Score bounds, per figure (good, poor): 100 at or below the good bound, 0 at or above the
# poor bound, linear in between (as the Omnissa Horizon client scores its network state).
# RTT: AWS, "Client network requirements" for WorkSpaces (DCV/WSP, 2022): below 250 ms the
# session is good, 250-400 ms usable but degraded; above 400 ms not recommended.
QUALITY_RTT_MS = (250.0, 400.0)
# Jitter and loss have no AWS figure: borrowed from Microsoft's guidance for Teams media
# ("Prepare your organization's network for Teams": jitter < 30 ms, packet loss < 1 %),
# real-time media as sensitive as a streamed desktop. The poor bounds: loss 10 % is the
# Teams Call Quality Dashboard's "poor stream" packet-loss rate; jitter 60 ms is wsdiag's
# own (twice the good bound: Microsoft publishes no second jitter figure).
QUALITY_JITTER_MS = (30.0, 60.0)
QUALITY_LOSS = (0.01, 0.10)  # fractions of the judged samples
# Grades from the score (wsdiag's own bands): good from 80, fair from 40, poor below.
QUALITY_GOOD_SCORE = 80.0
QUALITY_FAIR_SCORE = 40.0

# --- this machine ---------------------------------------------------------------------------------
# Reading the routes to a few dozen addresses and the process list happens beside the
# probes, within the run deadline (BACKGROUND_DELAY, HOST_PATHS_GRACE above): both answer in
# milliseconds; a machine that takes longer (a hung psutil call) is left unknown.
# One OS tool (scutil, gsettings) reading a proxy setting: they answer in milliseconds when
# they work; a tool that hangs (a desktop session that is gone) must not hold the check.
HOST_TOOL_TIMEOUT = 3.0

# --- reading a report back (`wsdiag show`) ------------------------------------------------------
# What is read of the input at most: a bundle's zip holds the report beside the logs' summary
# and tail (tens of kB); reading stops there (never all of /dev/zero or a huge upload). The
# report in it, or the file itself, is held to MAX_REPORT_BYTES like summarize's.
SHOW_MAX_BYTES = 16 * 1024 * 1024
