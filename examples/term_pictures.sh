#!/bin/sh
# The README's terminal pictures: each command run in a tmux pane, the pane
# captured (tmux capture-pane) and drawn to PNG (examples/term_png.py: Pillow, the `docs`
# extra).   sh examples/term_pictures.sh      (needs tmux and pip install 'wsdiag[docs]')
set -eu
cd "$(dirname "$0")/.."
out=examples/reports
sock="wsdiag-pictures-$$"
desk=$(mktemp -d)
trap 'tmux -L "$sock" kill-server 2>/dev/null || true; rm -rf "$desk"' EXIT

shot() {  # name, columns, rows, keys typed after the start (or ""), command...
    name=$1 cols=$2 rows=$3 keys=$4
    shift 4
    tmux -L "$sock" new-session -d -x "$cols" -y "$rows" -s pic \
        "env PYTHONPATH=$PWD COLUMNS=$cols WSDIAG_REGION= AWS_REGION= $*; echo; echo '[exit '\$?']'; sleep 30"
    if [ -n "$keys" ]; then
        sleep 2
        tmux -L "$sock" send-keys -t pic "$keys" Enter
    fi
    for _ in $(seq 60); do  # until the command has ended (its exit line is on screen)
        tmux -L "$sock" capture-pane -p -t pic | grep -q '^\[exit ' && break
        sleep 0.5
    done
    tmux -L "$sock" capture-pane -p -t pic | sed -e :a -e '/^\n*$/{$d;N;ba' -e '}' > "$desk/$name.txt"
    tmux -L "$sock" kill-session -t pic
    python3 examples/term_png.py "$desk/$name.txt" "$out/$name.png"
    echo "$out/$name.png"
}

# The desktop start: the region asked (none in the logs), typed, the check, the file, the key.
shot desktop-start 92 16 "eu-west-1" "python3 examples/desktop_demo.py $desk"
# The to-do list of the network team from the sample reports.
# (one row per host: wide, as a to-do list is read; each fix cut at the pane's edge)
shot todo-network 150 12 "" "python3 -m wsdiag summarize examples/reports --owner network | sed -n '/^To do/,\$p' | cut -c1-150 | head -n 9"
