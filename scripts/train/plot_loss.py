#!/usr/bin/python3
"""plot_loss.py — loss.csv (v4train.py) -> a gnuplot PNG of the training curves.

Plots, against training tokens: the completion-token loss, the MTP loss and the lightning
indexer's KL, each raw (thin) and as an exponential moving average (thick), with the curriculum
stage boundaries as vertical lines. Usage: plot_loss.py LOSS.csv OUT.png. Exit 2 on bad input,
1 when gnuplot fails.
"""
import csv
import os
import subprocess
import sys
import tempfile


def main():
    if len(sys.argv) != 3:
        print("usage: plot_loss.py LOSS.csv OUT.png", file=sys.stderr)
        return 2
    src, png = sys.argv[1], sys.argv[2]
    try:
        rows = list(csv.DictReader(open(src)))
    except OSError as e:
        print(f"plot_loss: {src}: {e.strerror}", file=sys.stderr)
        return 2
    need = {"tokens", "loss", "mtp_loss", "indexer_kl", "stage"}
    if not rows or not need <= set(rows[0]):
        print(f"plot_loss: {src}: expected a loss.csv with columns {sorted(need)}", file=sys.stderr)
        return 2
    ema = {"loss": None, "mtp_loss": None, "indexer_kl": None}
    a = 0.05
    bounds = []
    with tempfile.TemporaryDirectory() as td:
        dat = os.path.join(td, "loss.dat")
        with open(dat, "w") as f:
            prev_stage = rows[0]["stage"]
            for r in rows:
                if r["stage"] != prev_stage:
                    bounds.append(float(r["tokens"]) / 1e6)
                    prev_stage = r["stage"]
                vals = []
                for k in ema:
                    v = float(r[k])
                    ema[k] = v if ema[k] is None else (1 - a) * ema[k] + a * v
                    vals += [v, ema[k]]
                f.write(f"{float(r['tokens']) / 1e6} " + " ".join(f"{v:.6g}" for v in vals) + "\n")
        lines = [
            "set terminal png size 1000,600",
            f"set output '{png}'",
            "set title 'tiny-v4 training (completion tokens only)'",
            "set xlabel 'training tokens (millions, padded)'",
            "set ylabel 'cross-entropy (nats)'",
            "set y2label 'indexer KL'",
            "set y2tics", "set ytics nomirror", "set grid", "set key top right",
        ]
        for b in bounds:
            lines.append(f"set arrow from {b}, graph 0 to {b}, graph 1 nohead dt 2 lc rgb 'gray'")
        lines.append(
            # raw curves first, the main loss's EMA last so the MTP curve never hides it
            f"plot '{dat}' u 1:2 w l lw 1 lc rgb '#a0c0ff' notitle, "
            f"'' u 1:4 w l lw 1 lc rgb '#ffc0a0' notitle, "
            f"'' u 1:5 w l lw 3 lc rgb '#c04000' t 'MTP loss (EMA)', "
            f"'' u 1:3 w l lw 3 lc rgb '#0040c0' t 'loss (EMA)', "
            f"'' u 1:7 axes x1y2 w l lw 2 lc rgb '#008000' t 'indexer KL (EMA, right axis)'")
        gp = os.path.join(td, "plot.gp")
        with open(gp, "w") as f:
            f.write("\n".join(lines) + "\n")
        r = subprocess.run(["gnuplot", gp], capture_output=True, text=True)
        if r.returncode:
            print(f"plot_loss: gnuplot failed: {r.stderr.strip()}", file=sys.stderr)
            return 1
    print(f"plot_loss: {png}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
