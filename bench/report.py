"""Render a run's results as the Markdown tables of docs/benchmarks.md."""

from bench.profile import format_summary

QUERY_ORDER = ("full list", "exact match", "top 100 idle")


def _n(size) -> str:
    return f"{int(size):,}"


def _rate(result: dict) -> str:
    return f"{result['rate']:,.0f}/s"


def _verdict(ok: bool | None) -> str:
    return {True: "met", False: "**missed**", None: "not measured"}[ok]


def ceilings(results: dict) -> list[str]:
    ceiling = results["ceilings"]
    framework = ceiling["framework floor"]
    one_call = ceiling["one-call floor"]
    redis_rate = ceiling["redis"]["rate"]
    return [
        "| ceiling | requests/s | p50 / p99 | ratio |",
        "|---|---|---|---|",
        f"| framework floor (GET, small JSON) | {_rate(framework)} |"
        f" {framework['p50_ms']:.2f} / {framework['p99_ms']:.2f} ms | 1 |",
        f"| one-call floor (heartbeat.lua once, 204) | {_rate(one_call)} |"
        f" {one_call['p50_ms']:.2f} / {one_call['p99_ms']:.2f} ms |"
        f" {one_call['rate'] / framework['rate']:.2f} x framework floor |",
        f"| Redis ceiling (redis-benchmark, EVALSHA heartbeat.lua) |"
        f" {redis_rate:,.0f}/s | - | {redis_rate / framework['rate']:.1f} x framework"
        " floor |",
    ]


def heartbeat_rows(results: dict) -> list[str]:
    one_call = results["ceilings"]["one-call floor"]
    redis_rate = results["ceilings"]["redis"]["rate"]
    beats = results["heartbeat"]
    sizes = sorted(beats, key=int)
    first = beats[sizes[0]]
    rows = []
    for size in sizes:
        beat = beats[size]
        ratio = beat["rate"] / one_call["rate"]
        cells = (
            f"{_rate(beat)}, p50 {beat['p50_ms']:.2f} ms, p99 {beat['p99_ms']:.2f} ms,"
            f" {beat['errors']} errors"
        )
        measure = (
            f"{ratio:.2f} x one-call floor, {beat['rate'] / redis_rate:.3f} x Redis"
            " ceiling"
        )
        if size == sizes[0]:
            rows.append(
                f"| heartbeats, {_n(size)} nodes | {cells} | {measure} |"
                f" >= 0.9 x one-call floor | {_verdict(ratio >= 0.9)} |"
            )
        else:
            change = beat["rate"] / first["rate"]
            last = size == sizes[-1]
            rows.append(
                f"| heartbeats, {_n(size)} nodes | {cells} | {measure};"
                f" {change:.2f} x the {_n(sizes[0])} figure |"
                + (" within 10% of the smallest fleet |" if last else " - |")
                + (f" {_verdict(change >= 0.9)} |" if last else " - |")
            )
    return rows


def _ms(result: dict | None) -> str:
    return "-" if result is None else f"{result['p50_ms']:.1f} ms"


def list_rows(results: dict) -> list[str]:
    lists = results["lists"]
    sizes = sorted(lists, key=int)
    rows = []
    for query in QUERY_ORDER:
        smallest = lists[sizes[0]][query].get("registry")
        for size in sizes:
            entry = lists[size][query]
            registry, peer = entry.get("registry"), entry["peer"]
            rows_text = f"{entry.get('registry_rows', '-')} / {entry['peer_rows']} rows"
            if registry is None:
                rows.append(
                    f"| {query}, {_n(size)} nodes | - / {_ms(peer)} ({rows_text}) | - |"
                    " faster than the peer | not measured |"
                )
                continue
            ratio = registry["p50_ms"] / peer["p50_ms"]
            target, ok = "faster than the peer", ratio < 1
            scale = ""
            if query != "full list" and size == sizes[-1] and smallest:
                growth = registry["p50_ms"] / smallest["p50_ms"]
                scale = f"; {growth:.2f} x the {_n(sizes[0])} figure"
                target += f"; <= 1.3 x the {_n(sizes[0])} figure"
                ok = ok and growth <= 1.3
            rows.append(
                f"| {query}, {_n(size)} nodes | {_ms(registry)} / {_ms(peer)}"
                f" ({rows_text}) | {ratio:.2f} x peer{scale} | {target} |"
                f" {_verdict(ok)} |"
            )
    return rows


def other_rows(results: dict) -> list[str]:
    rows = []
    lists = results["lists"]
    largest = max(lists, key=int)
    paging = results.get("paging")
    whole = lists[largest]["full list"].get("registry")
    if paging:
        rows.append(
            f"| page through {_n(largest)} nodes, {paging['pages']} pages |"
            f" {paging['seconds']:.2f} s for {paging['nodes']:,} nodes"
            f" ({paging['distinct']:,} distinct) | one unpaginated list:"
            f" {_ms(whole)} | stated | - |"
        )
    dash = results.get("dashboards")
    if dash:
        without, with_ = dash["without"], dash["with"]
        rows.append(
            f"| heartbeat p99 with {dash['count']} dashboards |"
            f" {with_['p99_ms']:.1f} ms at {_rate(with_)};"
            f" dashboards got {_rate(dash['dashboards'])} lists |"
            f" without: {without['p99_ms']:.1f} ms at {_rate(without)}"
            f" ({with_['p99_ms'] / without['p99_ms']:.1f} x) | stated | - |"
        )
    for size, memory in sorted(
        results["memory"].items(), key=lambda item: int(item[0])
    ):
        parts = ", ".join(
            f"{name} {value:.0f}" for name, value in memory["per_node_parts"].items()
        )
        rows.append(
            f"| Redis memory, {_n(size)} nodes | {memory['bytes_per_node']:.0f} B/node"
            f" | {parts} | stated | - |"
        )
    return rows


def render(results: dict) -> str:
    machine = results["machine"]
    lines = [
        f"Run of {machine['date']} on {machine['cores']} cores ({machine['cpu_model']},"
        f" {machine['memory_gib']} GiB), commit {machine['commit']}"
        + (" with uncommitted changes" if machine["uncommitted_changes"] else "")
        + f", load average {machine['load_average_before']} before and"
        f" {machine.get('load_average_after')} after, {results.get('run_seconds')} s.",
        f"Heartbeat request: {results.get('heartbeat_request')}.",
        "",
        *ceilings(results),
        "",
        "| scenario | measured (registry / peer) | ratio | target | result |",
        "|---|---|---|---|---|",
        *heartbeat_rows(results),
        *list_rows(results),
        *other_rows(results),
    ]
    for name, summary in results.get("profiles", {}).items():
        lines += ["", "```", format_summary(f"profile of {name}", summary), "```"]
    if results["notes"]:
        lines += ["", "Notes:", *(f"- {note}" for note in results["notes"])]
    return "\n".join(lines) + "\n"
