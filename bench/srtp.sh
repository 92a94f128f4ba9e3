#!/usr/bin/env bash
# SRTP cost per 172-byte packet: EdgeVoice's SrtpContext beside the OpenSSL floor (crypto_floor) and
# libsrtp2 (srtp_bench), all in this one run (the floor before and after). Prints one line per transform:
# ours, floor (before/after), ratio ours/floor (against each), libsrtp2, allocated bytes per packet.
# Needs: gcc libsrtp2-dev libssl-dev (for the baselines), python3 (to read BenchmarkDotNet's JSON).
# Env: EDGEVOICE_BASELINES (baseline sources, default ../shared/baselines), SRTP_BENCH_PACKETS (1000000),
#      SRTP_BENCH_JOB (BenchmarkDotNet job, default short).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
packets=${SRTP_BENCH_PACKETS:-1000000}
job=${SRTP_BENCH_JOB:-short}
out=$root/out/bench/srtp
rm -rf "$out"; mkdir -p "$out"

baselines=$(bash bench/baselines.sh | tail -1)
echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== crypto_floor (OpenSSL EVP, reused contexts)"
"$baselines/crypto_floor" "$packets" 3 | tee "$out/crypto_floor.txt"
echo "== srtp_bench (libsrtp2)"
"$baselines/srtp_bench" "$packets" 3 | tee "$out/srtp_bench.txt"
echo "== SrtpBench (BenchmarkDotNet, job $job)"
dotnet run -c Release --project bench/EdgeVoice.Bench -- --filter '*SrtpBench*' --job "$job" \
  --exporters json --artifacts "$out/bdn" | grep -E '^\||Allocated' | tee "$out/bdn.txt"
echo "== crypto_floor again (on a loaded machine the two floors bracket ours: both ratios are printed)"
"$baselines/crypto_floor" "$packets" 3 | tee "$out/crypto_floor_after.txt"
echo "== load after: $(cut -d' ' -f1-3 /proc/loadavg)"

python3 - "$out" <<'PY'
import glob, json, re, sys
out = sys.argv[1]
def medians(path):
    found = {}
    for line in open(path):
        m = re.match(r'(\S+)\s+median: protect\s+([\d.]+) ns/op.*unprotect\s+([\d.]+) ns/op', line)
        if m:
            found[(m.group(1), 'protect')] = float(m.group(2))
            found[(m.group(1), 'unprotect')] = float(m.group(3))
    return found
before, after = medians(f'{out}/crypto_floor.txt'), medians(f'{out}/crypto_floor_after.txt')
libsrtp = medians(f'{out}/srtp_bench.txt')
names = {'Aes128CmHmacSha1_80': 'AES_CM_128_HMAC_SHA1_80', 'AeadAes128Gcm': 'AEAD_AES_128_GCM'}
report = json.load(open(glob.glob(f'{out}/bdn/results/*SrtpBench*-report-full-compressed.json')[0]))
print(f"{'transform':<34} {'ours ns':>8} {'floor ns before/after':>22} {'ratio':>11} {'libsrtp2 ns':>12} {'alloc B':>8}")
for b in report['Benchmarks']:
    profile = re.search(r'Profile=(\w+)', b['Parameters']).group(1)
    name, op = names[profile], b['Method'].lower()
    ours = b['Statistics']['Mean']
    alloc = (b.get('Memory') or {}).get('BytesAllocatedPerOperation', 'n/a')
    f1, f2, l = before[(name, op)], after[(name, op)], libsrtp[(name, op)]
    lo, hi = sorted((ours / f1, ours / f2))
    print(f"{name + ' ' + op:<34} {ours:8.1f} {f1:10.1f} / {f2:9.1f} {lo:5.2f}-{hi:<5.2f} {l:12.1f} {alloc:>8}")
PY
