#!/usr/bin/env bash
# options-consistency.sh - --help, man pages and bash/zsh/fish completions list the same options.
#
# Environment (set by `make check`): HWPROF = the hwprof binary, TOP_SRCDIR = the source tree
# (default: two directories above this script). For every command that `hwprof --help` lists, the
# options (long and short) are extracted from `hwprof CMD --help`, from man/hwprof-CMD.1, from the
# three completion files, and by running the bash (and, when installed, fish) completion; the same
# is done for the global options and the command list. Any difference fails the test with a line
# naming the source that lacks (or has an extra) option, and a table of who has what.
# Exit status: 0 all agree, 1 some disagree or something could not be read.

[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -eu
export LC_ALL=C

NAME=options-consistency
die()
{
    echo "FAIL: $NAME: $*" >&2
    exit 1
}

[ -n "${HWPROF:-}" ] ||
    die "HWPROF is not set: run through 'make check' or set HWPROF=path/to/hwprof"
[ -x "$HWPROF" ] || die "HWPROF=$HWPROF is not an executable: build hwprof first"
TOP_SRCDIR=${TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
MAN=$TOP_SRCDIR/man
BASHCOMP=$TOP_SRCDIR/completions/hwprof
ZSHCOMP=$TOP_SRCDIR/completions/_hwprof
FISHCOMP=$TOP_SRCDIR/completions/hwprof.fish
for f in "$MAN/hwprof.1" "$BASHCOMP" "$ZSHCOMP" "$FISHCOMP"; do
    [ -r "$f" ] || die "cannot read $f (TOP_SRCDIR=$TOP_SRCDIR)"
done

T=$(mktemp -d "${TMPDIR:-/tmp}/hwprof-$NAME.XXXXXX") || die "cannot create a temp dir"
trap 'rm -rf "$T"' EXIT
trap 'exit 1' INT TERM HUP

PROBLEMS=0
problem()
{
    echo "FAIL: $NAME: $*" >&2
    PROBLEMS=$((PROBLEMS + 1))
}
note()
{
    echo "$NAME: $*" >&2
}

# ---- extraction: each prints a set, one item per line (sorted, unique) ----

# stdin -> the option tokens in it: "-x" and "--long-name" standing as words of their own.
opt_tokens()
{
    sed -E 's/[^A-Za-z0-9-]+/ /g' | tr ' ' '\n' |
        grep -E '^(-[A-Za-z]|--[a-z][a-z0-9-]*)$' | sort -u || true
}

# $1 = file with `hwprof ... --help` output -> the options of its option lines (indented, "-...").
help_opts()
{
    grep -E '^[[:space:]]+-' "$1" | opt_tokens
}

# $1 = file with `hwprof --help` -> the commands of its "Commands:" section.
help_commands()
{
    awk 'tolower($0) ~ /^[a-z ]*commands:[[:space:]]*$/ { on = 1; next }
         on && /^[[:space:]]*$/ { on = 0 }
         on && /^[[:space:]]+[a-z][a-z-]*([[:space:]]|$)/ { print $1 }' "$1" | sort -u
}

# $1 = man page, $2 = section name -> the tag lines (the line after each .TP) of that section,
# with roff escapes undone: "\-" -> "-", font changes dropped.
man_tags()
{
    awk -v sec="$2" '
         /^\.SH/ { s = $0; sub(/^\.SH[[:space:]]+/, "", s); gsub(/"/, "", s); on = s == sec; next }
         on && tp { print; tp = 0; next }
         on && /^\.TP/ { tp = 1 }' "$1" | sed -E 's/\\-/-/g; s/\\f(\(..|\[[^]]*\]|.)//g; s/\\&//g'
}

man_opts()
{
    man_tags "$1" OPTIONS | opt_tokens
}

# The commands hwprof.1 describes: the first word of each tag of its COMMANDS section.
man_commands()
{
    man_tags "$1" COMMANDS | sed -E 's/^\.[A-Z]+[[:space:]]+//; s/"//g' |
        awk '{ print $1 }' | sort -u
}

# $1 = variable name -> the words of the completion's 'local NAME="..."' line.
bash_var()
{
    local n
    n=$(grep -cE "^[[:space:]]*local $1=\"" "$BASHCOMP" || true)
    if [ "$n" != 1 ]; then
        problem "completions/hwprof has $n lines 'local $1=\"...\"' (expected exactly one)"
        return 0
    fi
    sed -nE "s/^[[:space:]]*local $1=\"([^\"]*)\".*/\\1/p" "$BASHCOMP" | tr ' ' '\n' |
        sed '/^$/d' | sort -u
}

# Runs the bash completion function on the words given (the last one is completed) and prints
# COMPREPLY. The completion must work without the bash-completion package.
bash_run()
{
    env -i PATH="$PATH" HOME="$T" TERM=dumb bash --norc --noprofile -c '
        source "$1" || exit 1
        shift
        COMP_WORDS=("$@")
        COMP_CWORD=$(($# - 1))
        _hwprof || exit 1
        printf "%s\n" "${COMPREPLY[@]}"' bash "$BASHCOMP" "$@" 2>"$T/bash.err" |
        sed '/^$/d' | sort -u
    if [ -s "$T/bash.err" ]; then
        problem "the bash completion printed errors for '$*': $(head -3 "$T/bash.err")"
    fi
}

# $1 = zsh function name -> the options named by the _arguments specs in its body (one spec per
# line: the text before the first '[' or ':', without the exclusion lists in parentheses).
zsh_opts()
{
    awk -v fn="$1" '$0 ~ "^" fn "[[:space:]]*\\(\\)" { on = 1; next }
         on && /^}/ { on = 0 }
         on' "$ZSHCOMP" |
        grep -E "^[[:space:]]*['{]" | sed -E 's/[:[].*//; s/\([^)]*\)//g' | opt_tokens
}

zsh_commands()
{
    awk '/^_hwprof_commands[[:space:]]*\(\)/ { on = 1; next } on && /^}/ { on = 0 } on' "$ZSHCOMP" |
        sed -nE "s/^[[:space:]]*'([a-z][a-z-]*):.*/\\1/p" | sort -u
}

# $1 = fish condition -> the options (-s X, -l NAME) of the 'complete -c hwprof' lines with it.
fish_opts()
{
    grep -E '^complete -c hwprof ' "$FISHCOMP" | grep -F -- "$1" | sed -E "s/ -d '[^']*'//" |
        grep -oE -- ' -[sl] [A-Za-z][A-Za-z0-9-]*' | sed -E 's/^ -s /-/; s/^ -l /--/' | sort -u
}

fish_commands()
{
    grep -E '^complete -c hwprof ' "$FISHCOMP" | grep -E -- "-n '?__fish_use_subcommand'? " |
        sed -nE 's/.* -a ([a-z][a-z-]*)( .*|$)/\1/p' | sort -u
}

HAVE_FISH=0
command -v fish >/dev/null 2>&1 && HAVE_FISH=1

# Runs the fish completion on a command line and prints the candidates ("--x=" counts as "--x").
fish_run()
{
    env -i PATH="$PATH" HOME="$T" XDG_CONFIG_HOME="$T/config" XDG_DATA_HOME="$T/data" \
        XDG_CACHE_HOME="$T/cache" \
        fish --no-config -c 'source $argv[1]; or exit 1; complete -C $argv[2]' \
        "$FISHCOMP" "$1" 2>"$T/fish.err" | cut -f1 | sed -E 's/=$//; /^$/d' | sort -u
    if [ -s "$T/fish.err" ]; then
        problem "the fish completion printed errors for '$1': $(head -3 "$T/fish.err")"
    fi
}

# ---- comparison ----

# compare WHAT REF-LABEL REF-FILE SOURCE FILE...: every SOURCE's set must equal the reference set.
# A SOURCE is "column|description". Prints one line per difference and, if there is any, a table
# of the items by source.
compare()
{
    local what=$1 rlabel=$2 rfile=$3 bad=0 label file item i
    shift 3
    if [ ! -s "$rfile" ]; then
        problem "$what: found nothing in $rlabel (did its format change?)"
        return 0
    fi
    local -a cols=() labels=() files=()
    while [ $# -ge 2 ]; do
        cols+=("${1%%|*}")
        labels+=("${1#*|}")
        files+=("$2")
        shift 2
    done
    for i in "${!labels[@]}"; do
        label=${labels[i]}
        file=${files[i]}
        if [ ! -s "$file" ]; then
            problem "$what: found nothing in $label (did its format change?)"
            bad=1
            continue
        fi
        for item in $(comm -23 "$rfile" "$file"); do
            problem "$what: $label lacks $item (listed by $rlabel)"
            bad=1
        done
        for item in $(comm -13 "$rfile" "$file"); do
            problem "$what: $label has $item, which $rlabel does not list"
            bad=1
        done
    done
    [ "$bad" = 1 ] || return 0
    {
        echo "  $what by source (x = has it; help = $rlabel):"
        printf '    %-16s %-5s' "" help
        printf ' %-9s' "${cols[@]}"
        printf '\n'
        sort -u "$rfile" "${files[@]}" | while read -r item; do
            printf '    %-16s %-5s' "$item" "$(grep -qxF -- "$item" "$rfile" && echo x || echo -)"
            for file in "${files[@]}"; do
                printf ' %-9s' "$(grep -qxF -- "$item" "$file" && echo x || echo -)"
            done
            printf '\n'
        done
    } >&2
}

# ---- the command list and the global options ----

"$HWPROF" --help >"$T/help.top" 2>"$T/help.top.err" ||
    die "'$HWPROF --help' failed: $(head -3 "$T/help.top.err")"
help_commands "$T/help.top" >"$T/cmds.help"
[ -s "$T/cmds.help" ] ||
    die "found no 'Commands:' section in 'hwprof --help':" "$(head -20 "$T/help.top")"

# The global options: the option lines of `hwprof --help`, and the usage lines' [-x|--xx].
{
    help_opts "$T/help.top"
    grep -E '^(usage|[[:space:]]*or):' "$T/help.top" | opt_tokens
} | sort -u >"$T/global.help"
man_opts "$MAN/hwprof.1" >"$T/global.man"
bash_var global_opts >"$T/global.bash"
bash_run hwprof - >"$T/global.bashrun"
zsh_opts _hwprof >"$T/global.zsh"
fish_opts __fish_use_subcommand >"$T/global.fish"
set -- "man|man/hwprof.1" "$T/global.man" "bash|completions/hwprof" "$T/global.bash" \
    "bash-run|bash completion of 'hwprof -'" "$T/global.bashrun" \
    "zsh|completions/_hwprof" "$T/global.zsh" \
    "fish|completions/hwprof.fish" "$T/global.fish"
if [ "$HAVE_FISH" = 1 ]; then
    fish_run 'hwprof -' >"$T/global.fishrun"
    set -- "$@" "fish-run|fish completion of 'hwprof -'" "$T/global.fishrun"
fi
compare "global options" "'hwprof --help'" "$T/global.help" "$@"

man_commands "$MAN/hwprof.1" >"$T/cmds.man"
bash_var commands >"$T/cmds.bash"
bash_run hwprof "" >"$T/cmds.bashrun"
zsh_commands >"$T/cmds.zsh"
fish_commands >"$T/cmds.fish"
set -- "man|man/hwprof.1 (COMMANDS)" "$T/cmds.man" "bash|completions/hwprof" "$T/cmds.bash" \
    "bash-run|bash completion of 'hwprof '" "$T/cmds.bashrun" \
    "zsh|completions/_hwprof" "$T/cmds.zsh" \
    "fish|completions/hwprof.fish" "$T/cmds.fish"
if [ "$HAVE_FISH" = 1 ]; then
    fish_run 'hwprof ' >"$T/cmds.fishrun"
    set -- "$@" "fish-run|fish completion of 'hwprof '" "$T/cmds.fishrun"
fi
compare "commands" "'hwprof --help'" "$T/cmds.help" "$@"

# Every command but help has a man page, and every man page a command.
while read -r cmd; do
    [ "$cmd" = help ] && continue
    [ -r "$MAN/hwprof-$cmd.1" ] ||
        problem "commands: man/hwprof-$cmd.1 is missing for the command $cmd"
done <"$T/cmds.help"
for page in "$MAN"/hwprof-*.1; do
    [ -e "$page" ] || continue
    cmd=${page##*/hwprof-}
    cmd=${cmd%.1}
    grep -qxF -- "$cmd" "$T/cmds.help" ||
        problem "commands: man/hwprof-$cmd.1 documents '$cmd', which 'hwprof --help' does not list"
done

# ---- the options of each command ----

while read -r cmd; do
    [ "$cmd" = help ] && continue
    if ! "$HWPROF" "$cmd" --help >"$T/help.$cmd" 2>"$T/help.$cmd.err"; then
        problem "$cmd: 'hwprof $cmd --help' failed: $(head -3 "$T/help.$cmd.err")"
        continue
    fi
    help_opts "$T/help.$cmd" >"$T/$cmd.help"
    grep -qxF -- --help "$T/$cmd.help" ||
        problem "$cmd: 'hwprof $cmd --help' has no '--help' option line: its format changed?"
    : >"$T/$cmd.man"
    [ -r "$MAN/hwprof-$cmd.1" ] && man_opts "$MAN/hwprof-$cmd.1" >"$T/$cmd.man"
    var=$(printf '%s' "$cmd" | tr -c 'A-Za-z0-9\n' _)
    bash_var "${var}_opts" >"$T/$cmd.bash"
    bash_run hwprof "$cmd" - >"$T/$cmd.bashrun"
    zsh_opts "_hwprof_$var" >"$T/$cmd.zsh"
    fish_opts "__hwprof_command_is $cmd" >"$T/$cmd.fish"
    set -- "man|man/hwprof-$cmd.1" "$T/$cmd.man" "bash|completions/hwprof" "$T/$cmd.bash" \
        "bash-run|bash completion of 'hwprof $cmd -'" "$T/$cmd.bashrun" \
        "zsh|completions/_hwprof" "$T/$cmd.zsh" \
        "fish|completions/hwprof.fish" "$T/$cmd.fish"
    if [ "$HAVE_FISH" = 1 ]; then
        fish_run "hwprof $cmd -" >"$T/$cmd.fishrun"
        set -- "$@" "fish-run|fish completion of 'hwprof $cmd -'" "$T/$cmd.fishrun"
    fi
    compare "$cmd options" "'hwprof $cmd --help'" "$T/$cmd.help" "$@"
done <"$T/cmds.help"

# ---- the zsh completion loads (when zsh is installed) ----

if command -v zsh >/dev/null 2>&1; then
    if ! env -i PATH="$PATH" HOME="$T" zsh -f -c '
            autoload -U compinit && compinit -u -D || exit 1
            source "$1" || exit 1
            [[ $_comps[hwprof] == _hwprof ]]' zsh "$ZSHCOMP" >"$T/zsh.out" 2>&1 ||
        [ -s "$T/zsh.out" ]; then
        problem "completions/_hwprof does not load cleanly in zsh: $(head -3 "$T/zsh.out")"
    fi
else
    note "zsh is not installed: skipped loading completions/_hwprof"
fi
[ "$HAVE_FISH" = 1 ] || note "fish is not installed: skipped running completions/hwprof.fish"

if [ "$PROBLEMS" -gt 0 ]; then
    echo "FAIL: $NAME: $PROBLEMS disagreement(s) between --help, man pages and completions" >&2
    exit 1
fi
exit 0
