/* commands.h - the subcommands main() dispatches to; each lives in its own cmd_*.c file. */
#ifndef HWPROF_COMMANDS_H
#define HWPROF_COMMANDS_H

/* Each returns the process exit code. argv[0] is the command name. */
int cmd_record(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_stat(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_convert(int argc, char **argv);

/* Exit codes shared by the commands. */
#define HW_EXIT_ERROR 1 /* hwprof could not do what was asked */
#define HW_EXIT_USAGE 2 /* bad command line */

#endif
