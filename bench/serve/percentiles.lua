-- wrk script: one machine-readable line with req/s (successful responses only: a server that
-- answers 502 fast must not look fast) and latency percentiles (ms).
done = function(summary, latency, requests)
  local s = summary.duration / 1e6
  local ok = summary.requests - summary.errors.status
  io.write(string.format("RESULT rps=%.0f p50=%.2f p99=%.2f p999=%.2f errors=%d non2xx=%d\n",
    ok / s, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    latency:percentile(99.9) / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status))
end
