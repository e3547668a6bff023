# hwprof.fish - fish completion for hwprof: commands, per-command options, events, files and pids.
# tests/e2e/options-consistency.sh reads the "complete" lines: one option per line, with
# "__fish_use_subcommand" (global options, commands) or "__hwprof_command_is CMD" in its condition.

# Succeeds when the command of hwprof on the line (its first word that is not an option) is $argv[1].
function __hwprof_command_is
    for t in (commandline -opc)[2..-1]
        string match -q -- '-*' $t; and continue
        test "$t" = $argv[1]
        return
    end
    return 1
end

# The event names `hwprof list` prints (its first column), each after the text up to the last
# ',' or '{' of the current token, so that lists and groups complete element by element.
function __hwprof_events
    set -l prog (commandline -opc)[1]
    command -q -- $prog; or set prog hwprof
    command -q -- $prog; or return
    set -l tok (string replace -r -- '^--[a-z-]+=' '' (commandline -ct))
    set -l head (string match -r -- '^.*[,{]' $tok)
    set -l part (string replace -r -- '^.*[,{]' '' $tok)
    for line in (command $prog list $part 2>/dev/null)
        set -l f (string split -n ' ' -- $line)
        if contains -- "$f[2]" yes no
            printf '%s%s\t%s\n' "$head" $f[1] (string join ' ' -- $f[3..-1])
        end
    end
end

# Process ids (with their command names), after the text up to the last ',' of the token.
function __hwprof_pids
    set -l head (string match -r -- '^.*,' (string replace -r -- '^--[a-z-]+=' '' (commandline -ct)))
    for pid in (__fish_complete_pids)
        printf '%s%s\n' "$head" $pid
    end
end

# Recordings (*.data) and directories that start with the current token (after "--input=").
function __hwprof_data_files
    set -l tok (string replace -r -- '^--[a-z-]+=' '' (commandline -ct))
    set -l home
    if string match -qr -- '^~(/|$)' $tok
        set home 1
        set tok (string replace -r -- '^~' $HOME $tok)
    end
    for f in $tok*
        if test -d $f
            set f $f/
        else if not string match -q -- '*.data' $f
            continue
        end
        test -n "$home"; and set f (string replace -- $HOME '~' $f)
        printf '%s\n' $f
    end
end

# Succeeds when the token being completed belongs to the command that `hwprof record` runs:
# after "--", or at or after the first word of record that is neither an option nor its value.
# With an argument, prints the index (in `commandline -opc`) where that command starts.
function __hwprof_in_workload
    set -l toks (commandline -opc)
    set -l i (contains -i -- record $toks); or set i (contains -i -- stat $toks); or return 1
    set -l n (count $toks)
    # the options of the command (record or stat) that take a value
    set -l long_values --event --freq --count --output --duration --mmap-pages --cpu
    set -l short_values e F c o p d m g C
    if test $toks[$i] = stat
        set long_values --event --field-separator --repeat --cpu --duration
        set short_values e x r C p
    end
    set -l pending # "value": the next token is an option's value; "fp": it may be -g's mode
    set -l pid 0
    for k in (seq (math $i + 1) $n)
        set -l t $toks[$k]
        if test "$pending" = value
            set pending
            continue
        else if test "$pending" = fp
            set pending
            contains -- (string split -m1 , -- $t)[1] fp dwarf; and continue
        end
        switch $t
            case --
                set -q argv[1]; and echo (math $k + 1)
                return 0
            case --pid
                set pid 1
                set pending value
            case $long_values
                set pending value
            case --call-graph
                set pending fp
            case '--pid=*'
                set pid 1
            case '--*'
            case '-?*'
                # A cluster such as -qe: the first letter that takes a value ends it.
                set -l letters (string split '' -- (string sub -s 2 -- $t))
                for j in (seq (count $letters))
                    set -l l $letters[$j]
                    test $l = p; and set pid 1
                    if contains -- $l $short_values
                        if test $j -eq (count $letters)
                            if test $l = g
                                set pending fp
                            else
                                set pending value
                            end
                        end
                        break
                    end
                end
            case '*'
                set -q argv[1]; and echo $k
                return 0
        end
    end
    # No command yet: the current token starts it unless it is an option or an option's value.
    test "$pending" = value; and return 1
    test $pid = 1; and return 1
    string match -q -- '-*' (commandline -ct); and return 1
    set -q argv[1]; and echo (math $n + 1)
    return 0
end

# Completes the workload's command line as if it were typed on its own.
function __hwprof_complete_workload
    set -l at (__hwprof_in_workload index)
    set -l toks (commandline -opc)
    set -l cmd $toks[$at..-1] (commandline -ct)
    complete -C (string join ' ' -- (string escape -- $cmd[1..-2]) $cmd[-1])
end

complete -c hwprof -f

# Global options and commands.
complete -c hwprof -n __fish_use_subcommand -s h -l help -d 'Show help and exit'
complete -c hwprof -n __fish_use_subcommand -s V -l version -d 'Show the version and exit'
complete -c hwprof -n __fish_use_subcommand -a record -d 'Run a command or attach to processes and record samples'
complete -c hwprof -n __fish_use_subcommand -a stat -d 'Count events of a command, processes or CPUs, as perf stat'
complete -c hwprof -n __fish_use_subcommand -a report -d 'Print the hottest functions of a recording'
complete -c hwprof -n __fish_use_subcommand -a convert -d 'Write a recording as pprof, folded stacks, a flame graph page or a timeline'
complete -c hwprof -n __fish_use_subcommand -a list -d 'List events and whether this kernel can open them'
complete -c hwprof -n __fish_use_subcommand -a help -d 'Show the help of a command'

# hwprof help COMMAND
complete -c hwprof -n '__hwprof_command_is help; and test (count (commandline -opc)) -eq 2' -a 'record stat report convert list help'

# hwprof record
complete -c hwprof -n '__hwprof_command_is record; and not __hwprof_in_workload' -s e -l event -x -a '(__hwprof_events)' -d 'Events to sample ({a,b} is a group)'
complete -c hwprof -n '__hwprof_command_is record; and not __hwprof_in_workload' -s F -l freq -x -d 'Sampling frequency in Hz (default 999)'
complete -c hwprof -n '__hwprof_command_is record; and not __hwprof_in_workload' -s c -l count -x -d 'Sample every PERIOD events'
complete -c hwprof -n '__hwprof_command_is record; and not __hwprof_in_workload' -s g -l call-graph -a 'fp dwarf' -d 'Callchains: fp[,SIZE] (the default) or dwarf[,SIZE]'
complete -c hwprof -n '__hwprof_command_is record; and not __hwprof_in_workload' -l no-callchain -d 'Record no callchains'
complete -c hwprof -n '__hwprof_command_is record; and not __hwprof_in_workload' -s o -l output -r -F -d 'Output file (default hwprof.data; .pb.gz, .pb, .folded convert)'
complete -c hwprof -n '__hwprof_command_is record; and not __hwprof_in_workload' -s z -l compression-level -d 'Compress the records with zstd (level 1 to 22, attached)'
complete -c hwprof -n '__hwprof_command_is record; and not __hwprof_in_workload' -l keep-data -d 'Also keep the perf.data file of a pprof or folded output'
complete -c hwprof -n '__hwprof_command_is record; and not __hwprof_in_workload' -s p -l pid -x -a '(__hwprof_pids)' -d 'Attach to running processes'
complete -c hwprof -n '__hwprof_command_is record; and not __hwprof_in_workload' -s a -l all-cpus -d 'Record every process on every CPU (system-wide)'
complete -c hwprof -n '__hwprof_command_is record; and not __hwprof_in_workload' -s C -l cpu -x -d 'Record every process on these CPUs only'
complete -c hwprof -n '__hwprof_command_is record; and not __hwprof_in_workload' -s d -l duration -x -d 'Stop after SECONDS'
complete -c hwprof -n '__hwprof_command_is record; and not __hwprof_in_workload' -l wall -d 'Wall-clock profile: on-CPU and off-CPU time of every thread'
complete -c hwprof -n '__hwprof_command_is record; and not __hwprof_in_workload' -s N -l no-buildid-cache -d 'Keep no copies of the sampled binaries in the build-id cache'
complete -c hwprof -n '__hwprof_command_is record; and not __hwprof_in_workload' -l no-fallback -d 'Fail when a hardware event cannot be opened'
complete -c hwprof -n '__hwprof_command_is record; and not __hwprof_in_workload' -l strict-freq -d 'Fail instead of lowering a frequency above the kernel maximum'
complete -c hwprof -n '__hwprof_command_is record; and not __hwprof_in_workload' -s m -l mmap-pages -x -a '1 2 4 8 16 32 64 128 256 512 1024' -d 'Ring-buffer pages per CPU'
complete -c hwprof -n '__hwprof_command_is record; and not __hwprof_in_workload' -s q -l quiet -d 'Print no summary'
complete -c hwprof -n '__hwprof_command_is record; and not __hwprof_in_workload' -s h -l help -d 'Show help and exit'
# "-g fp": the mode in the next word; otherwise that word is the command.
complete -c hwprof -n '__hwprof_command_is record; and __fish_prev_arg_in -g --call-graph' -a fp -d 'Frame pointers, repaired from a stack copy'
complete -c hwprof -n '__hwprof_command_is record; and __fish_prev_arg_in -g --call-graph' -a dwarf -d 'Unwound from a stack copy with CFI'
complete -c hwprof -n '__hwprof_command_is record; and __hwprof_in_workload' -x -a '(__hwprof_complete_workload)'

# hwprof report: only the file and the event are completed; the pids, command names and functions
# of a recording are not those of the running system.
complete -c hwprof -n '__hwprof_command_is report' -s i -l input -x -a '(__hwprof_data_files)' -d 'Recording to read (default hwprof.data)'
complete -c hwprof -n '__hwprof_command_is report' -l top -d 'Print the hottest functions (the default)'
complete -c hwprof -n '__hwprof_command_is report' -l tree -d 'Print the call tree with cumulative percentages'
complete -c hwprof -n '__hwprof_command_is report' -l callers -x -d 'Print the callers and callees of the functions matching REGEX'
complete -c hwprof -n '__hwprof_command_is report' -l cum -d 'Sort by cumulative value instead of flat'
complete -c hwprof -n '__hwprof_command_is report' -s n -l limit -x -d 'Print at most N rows (default 30, 0 for all)'
complete -c hwprof -n '__hwprof_command_is report' -l lines -d 'One row per function and source line'
complete -c hwprof -n '__hwprof_command_is report' -l no-inline -d 'Charge inlined code to the function it was inlined into'
complete -c hwprof -n '__hwprof_command_is report' -l sample-index -x -a 'samples wall cpu off-cpu cpu-clock task-clock page-faults context-switches cycles instructions cache-misses' -d 'Event whose values to show'
complete -c hwprof -n '__hwprof_command_is report' -l columns -x -a 'all' -d 'A value column per event (comma-separated), or all'
complete -c hwprof -n '__hwprof_command_is report' -l ratio -x -a 'instructions/cycles cache-misses/instructions page-faults/cpu-clock' -d 'A column NUM/DEN per row'
complete -c hwprof -n '__hwprof_command_is report' -l sort -x -a 'comm pid tid sym comm,sym' -d 'What a row is, as perf report --sort'
complete -c hwprof -n '__hwprof_command_is report' -l comm -x -d 'Only samples of these command names'
complete -c hwprof -n '__hwprof_command_is report' -l pid -x -d 'Only samples of these processes'
complete -c hwprof -n '__hwprof_command_is report' -l tid -x -d 'Only samples of these threads'
complete -c hwprof -n '__hwprof_command_is report' -l focus -x -d 'Only samples with a function matching REGEX'
complete -c hwprof -n '__hwprof_command_is report' -l ignore -x -d 'Drop samples with a function matching REGEX'
complete -c hwprof -n '__hwprof_command_is report' -l stdio -d 'Plain text output even on a terminal'
complete -c hwprof -n '__hwprof_command_is report' -l debuginfod -d 'Allow fetching debug info with debuginfod'
complete -c hwprof -n '__hwprof_command_is report' -l max-stack -x -d 'Keep at most N frames of each stack'
complete -c hwprof -n '__hwprof_command_is report' -s h -l help -d 'Show help and exit'

# hwprof convert: as for report, only files, formats and events are completed.
complete -c hwprof -n '__hwprof_command_is convert' -s i -l input -x -a '(__hwprof_data_files)' -d 'Recording to read (default hwprof.data)'
complete -c hwprof -n '__hwprof_command_is convert' -s o -l output -r -F -d 'Output file, - for stdout (default hwprof.pb.gz)'
complete -c hwprof -n '__hwprof_command_is convert' -l format -x -a 'pprof\t"Protobuf profile for pprof" folded\t"Folded stacks for flame graphs" html\t"Interactive flame graph page" trace\t"Chrome trace-event timeline"' -d 'Output format (default: from the output name)'
complete -c hwprof -n '__hwprof_command_is convert' -l sample-index -x -a 'samples wall cpu off-cpu cpu-clock task-clock page-faults context-switches cycles instructions cache-misses' -d 'Event whose values folded stacks hold and the other outputs show first'
complete -c hwprof -n '__hwprof_command_is convert' -l no-labels -d 'pprof output: give the samples no labels'
complete -c hwprof -n '__hwprof_command_is convert' -l comm -x -d 'Only samples of these command names'
complete -c hwprof -n '__hwprof_command_is convert' -l pid -x -d 'Only samples of these processes'
complete -c hwprof -n '__hwprof_command_is convert' -l tid -x -d 'Only samples of these threads'
complete -c hwprof -n '__hwprof_command_is convert' -l focus -x -d 'Only samples with a function matching REGEX'
complete -c hwprof -n '__hwprof_command_is convert' -l ignore -x -d 'Drop samples with a function matching REGEX'
complete -c hwprof -n '__hwprof_command_is convert' -l debuginfod -d 'Allow fetching debug info with debuginfod'
complete -c hwprof -n '__hwprof_command_is convert' -l max-stack -x -d 'Keep at most N frames of each stack'
complete -c hwprof -n '__hwprof_command_is convert' -s h -l help -d 'Show help and exit'

# hwprof stat
complete -c hwprof -n '__hwprof_command_is stat; and not __hwprof_in_workload' -s e -l event -x -a '(__hwprof_events)' -d 'Events to count ({a,b} is a group)'
complete -c hwprof -n '__hwprof_command_is stat; and not __hwprof_in_workload' -s x -l field-separator -x -d 'Print CSV with this separator, in perf stat\'s order'
complete -c hwprof -n '__hwprof_command_is stat; and not __hwprof_in_workload' -s r -l repeat -x -d 'Run the command N times'
complete -c hwprof -n '__hwprof_command_is stat; and not __hwprof_in_workload' -s a -l all-cpus -d 'Count every process on every CPU (system-wide)'
complete -c hwprof -n '__hwprof_command_is stat; and not __hwprof_in_workload' -s C -l cpu -x -d 'Count every process on these CPUs only'
complete -c hwprof -n '__hwprof_command_is stat; and not __hwprof_in_workload' -s p -l pid -x -a '(__hwprof_pids)' -d 'Count running processes'
complete -c hwprof -n '__hwprof_command_is stat; and not __hwprof_in_workload' -l duration -x -d 'Stop after SECONDS'
complete -c hwprof -n '__hwprof_command_is stat; and not __hwprof_in_workload' -s h -l help -d 'Show help and exit'
complete -c hwprof -n '__hwprof_command_is stat; and __hwprof_in_workload' -x -a '(__hwprof_complete_workload)'

# hwprof list [PATTERN]
complete -c hwprof -n '__hwprof_command_is list' -s h -l help -d 'Show help and exit'
complete -c hwprof -n '__hwprof_command_is list' -x -a '(__hwprof_events)'
