"""benchmarks/charts.py: the README's charts, as SVG, from what e2e_compare.py and compile_time.py measured.

Needs matplotlib (Debian: apt-get install python3-matplotlib, for /usr/bin/python3). The SVGs
are written without a date and with a fixed hash salt, so the same figures give the same file.
"""
import pathlib
import platform


def machine():
    """'<CPU model>, <n> cores, <OS>': the machine a chart's figures came from."""
    model = platform.machine()
    try:
        for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import os
    os_name = platform.system()
    try:
        for line in pathlib.Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                os_name = line.split("=", 1)[1].strip('"')
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} cores, {os_name}"


def _pyplot():
    try:
        import matplotlib
    except ImportError:
        raise SystemExit("charts need matplotlib: apt-get install python3-matplotlib, then run with /usr/bin/python3")
    matplotlib.use("Agg")
    matplotlib.rcParams["svg.hashsalt"] = "mistral-cpp"
    matplotlib.rcParams["font.size"] = 10
    import matplotlib.pyplot as plt
    return plt


def bars(path, title, panels, subtitle, ours=lambda label: label.startswith("mistral-cpp")):
    """One horizontal bar chart per panel, side by side.

    panels: [(axis title, unit, {label: value})]; the bars of this library (`ours(label)`) are
    drawn in the accent colour, the others in grey; each bar is labelled with its value.
    """
    plt = _pyplot()
    # A single panel gets the width of two: its title and footnote are as long as theirs.
    width = 5.2 * max(len(panels), 2)
    fig, axes = plt.subplots(1, len(panels), figsize=(width, 0.5 * max(len(p[2]) for p in panels) + 1.6))
    axes = axes if len(panels) > 1 else [axes]
    for ax, (name, unit, values) in zip(axes, panels):
        labels = list(values)[::-1]
        numbers = [values[label] for label in labels]
        colours = ["#fa520f" if ours(label) else "#9aa0a6" for label in labels]
        ax.barh(labels, numbers, color=colours)
        top = max(numbers)
        for y, v in enumerate(numbers):
            ax.text(v + top * 0.01, y, f"{v:.3g} {unit}", va="center", fontsize=9)
        ax.set_xlim(0, top * 1.28)
        ax.set_title(name, fontsize=10)
        ax.spines[["top", "right"]].set_visible(False)
        ax.tick_params(axis="y", length=0)
    fig.suptitle(title, fontsize=11, fontweight="bold")
    fig.text(0.5, 0.01, subtitle, ha="center", fontsize=8, color="#555555")
    fig.tight_layout(rect=(0, 0.05, 1, 0.95))
    pathlib.Path(path).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="svg", metadata={"Date": None})
    plt.close(fig)
    print(f"wrote {path}")
