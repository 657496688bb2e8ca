#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# The shell completions against the option table: for every command, the
# options bash and zsh offer are the options patcher/cli/options.c lets
# that command take (as its --help, made from the table, lists them), and
# the commands are the table's commands; option
# values (recipe names from `hivepatch recipes`, control sets, scopes) and
# file arguments complete.  bash runs the real completion function; zsh
# runs _hivepatch with _arguments replaced by a printer of its specs.
. "$abs_top_srcdir/tests/lib.sh"

bash_completion=$abs_top_srcdir/completions/hivepatch.bash
zsh_dir=$abs_top_srcdir/completions

# The commands, as the overview lists them (made from the table).
"$HIVEPATCH" --help | awk '/^commands:$/ { on = 1; next }
	on && /^$/ { exit }
	on { print $1 }' >"$work/commands"
[ -s "$work/commands" ] && pass || fail "no commands read from hivepatch --help"

# table_options COMMAND: the spellings (-x and --name) of the options
# COMMAND's help lists, which is what the table lets it take; every option
# any command takes when COMMAND is empty (options may come before it).
table_options() {
	if [ -z "$1" ]; then
		for table_command in $(cat "$work/commands"); do
			table_options "$table_command"
		done | LC_ALL=C sort -u
		return
	fi
	"$HIVEPATCH" "$1" --help | awk '/^options:$/ { on = 1; next }
		on && /^$/ { exit }
		on && $1 ~ /^-[A-Za-z],$/ { print substr($1, 1, 2); print $2; next }
		on && $1 ~ /^--/ { print $1 }' | LC_ALL=C sort -u
}

for command in '' $(cat "$work/commands"); do
	table_options "$command" >"$work/table-$command"
	if grep -q '^?mask' "$work/table-$command" || [ ! -s "$work/table-$command" ]; then
		fail "hivepatch $command --help: cannot read its options:"
		sed 's/^/  /' "$work/table-$command" >&2
	fi
done
grep -qx -- '--backup' "$work/table-apply" && ! grep -qx -- '--backup' "$work/table-verify" &&
	grep -qx -- '-o' "$work/table-recover" && ! grep -qx -- '--no-replay' "$work/table-recover" &&
	grep -qx -- '--no-replay' "$work/table-" && pass ||
	fail "the options were misread (apply/verify --backup, recover -o and --no-replay)"

# same_set NAME WANT GOT: the two sorted lists are equal.
same_set() {
	if cmp -s "$2" "$3"; then pass; else
		fail "$1 (< options.c, > completion):"
		diff "$2" "$3" | grep '^[<>]' | sed 's/^/  /' >&2
	fi
}

# ---------------------------------------------------------------- bash
if command -v bash >/dev/null 2>&1 &&
	[ "$(bash -c 'echo ${BASH_VERSINFO[0]}')" -ge 4 ]; then
	# bash_complete WORD...: what completing the last WORD offers, one a
	# line, sorted, with bash-completion loaded when it is installed and
	# BC=1.
	bash_complete() {
		HIVEPATCH="$HIVEPATCH" COMPLETION="$bash_completion" bash -c '
			if [ "${BC:-0}" = 1 ]; then
				. /usr/share/bash-completion/bash_completion
			fi
			. "$COMPLETION"
			COMP_WORDS=("$HIVEPATCH" "$@")
			COMP_CWORD=$#
			COMP_LINE="${COMP_WORDS[*]}"
			COMP_POINT=${#COMP_LINE}
			_hivepatch
			for r in "${COMPREPLY[@]}"; do printf "%s\n" "$r"; done' bash "$@" |
			LC_ALL=C sort
	}
	bash_complete '' >"$work/got"
	LC_ALL=C sort "$work/commands" >"$work/want"
	same_set "bash: the commands" "$work/want" "$work/got"
	for command in $(cat "$work/commands"); do
		bash_complete "$command" - >"$work/got"
		same_set "bash: the options of $command" "$work/table-$command" "$work/got"
	done
	bash_complete - >"$work/got"
	same_set "bash: the options before a command" "$work/table-" "$work/got"
	# Options before the command, and option values, do not hide it.
	bash_complete --json -r kb2901554 verify --golden x - >"$work/got"
	same_set "bash: verify's options after others" "$work/table-verify" "$work/got"

	"$HIVEPATCH" recipes | awk '/^[^ \t]/ { print $1 }' | LC_ALL=C sort >"$work/recipes"
	[ -s "$work/recipes" ] && pass || fail "hivepatch recipes lists no recipe"
	for words in 'apply -r' 'apply --recipe' 'recipes --show' 'verify --recipe ='; do
		# shellcheck disable=SC2086
		bash_complete $words '' >"$work/got"
		same_set "bash: recipe names after '$words'" "$work/recipes" "$work/got"
	done
	bash_complete apply -qr '' >"$work/got"
	same_set "bash: recipe names after -qr" "$work/recipes" "$work/got"
	bash_complete --control-set '' >"$work/got"
	printf 'all\ncurrent\ndefault\n' >"$work/want"
	same_set "bash: control sets" "$work/want" "$work/got"
	bash_complete verify --golden-scope=a >"$work/got"
	printf -- '--golden-scope=all\n' >"$work/want"
	same_set "bash: a scope inside --golden-scope=" "$work/want" "$work/got"

	# Files and directories: TARGET, diff's A and B, -o's and --reg's file.
	mkdir -p "$work/files/image dir" "$work/files/hives"
	: >"$work/files/hive.reg"
	printf '%s\n' "$work/files/hive.reg" "$work/files/hives" "$work/files/image dir" \
		>"$work/want"
	for words in apply 'verify --json' 'diff a' 'show' 'apply -o' 'apply --reg' \
		'verify --golden' 'recover -qo'; do
		for bc in 0 1; do
			[ "$bc" = 1 ] && [ ! -f /usr/share/bash-completion/bash_completion ] && continue
			# shellcheck disable=SC2086
			BC=$bc bash_complete $words "$work/files/" >"$work/got"
			same_set "bash: files after '$words' (bash-completion: $bc)" "$work/want" "$work/got"
		done
	done
	# help's argument is a command.
	bash_complete help '' >"$work/got"
	LC_ALL=C sort "$work/commands" >"$work/want"
	same_set "bash: commands after help" "$work/want" "$work/got"
	for words in 'apply target' 'recipes' 'show target' 'diff a b' 'help apply'; do
		# shellcheck disable=SC2086
		bash_complete $words "$work/files/" >"$work/got"
		if [ -s "$work/got" ]; then
			fail "bash: '$words' offers files where none go:"
			sed 's/^/  /' "$work/got" >&2
		else
			pass
		fi
	done
else
	echo "no bash 4 here: its completion not tested"
fi

# ---------------------------------------------------------------- zsh
if command -v zsh >/dev/null 2>&1; then
	zsh -n "$zsh_dir/_hivepatch" && pass || fail "_hivepatch: zsh finds a syntax error"
	# zsh_specs WORD...: the option names _hivepatch passes to _arguments
	# when the last WORD is completed, sorted.
	zsh_specs() {
		zsh -f -c '
			fpath=("$1" $fpath)
			shift
			autoload -Uz _hivepatch
			# its specs: the words after its own flags and ":"
			_arguments() { print -rl -- "${@[${@[(i):]}+1,-1]}" }
			words=(hivepatch "$@")
			CURRENT=$#words
			_hivepatch' zsh "$zsh_dir" "$@" >"$work/specs"
		sed -n 's/^\*\{0,1\}\(([^)]*)\)\{0,1\}\*\{0,1\}\(--*[A-Za-z0-9][-A-Za-z0-9]*\).*/\2/p' \
			"$work/specs" | LC_ALL=C sort -u
	}
	for command in $(cat "$work/commands"); do
		zsh_specs "$command" '' >"$work/got"
		same_set "zsh: the options of $command" "$work/table-$command" "$work/got"
	done
	zsh_specs '' >"$work/got"
	same_set "zsh: the options before a command" "$work/table-" "$work/got"
	zsh_specs --json -r kb2901554 verify --golden x '' >"$work/got"
	same_set "zsh: verify's options after others" "$work/table-verify" "$work/got"
	zsh_specs -qo out recover '' >"$work/got"
	same_set "zsh: recover's options after -qo OUT" "$work/table-recover" "$work/got"
	zsh -f -c '
		fpath=("$1" $fpath)
		autoload -Uz _hivepatch
		_arguments() { "${@[-1]#*:*:}" }
		_describe() { print -rl -- ${(P)4%%:*} }
		words=(hivepatch "")
		CURRENT=2
		_hivepatch' zsh "$zsh_dir" | LC_ALL=C sort >"$work/got"
	LC_ALL=C sort "$work/commands" >"$work/want"
	same_set "zsh: the commands" "$work/want" "$work/got"
	zsh -f -c '
		fpath=("$1" $fpath)
		autoload -Uz _hivepatch
		_arguments() { : }
		_call_program() { shift; eval "$@" }
		_wanted() { shift 3; "$@" }
		compadd() { print -rl -- ${(P)2} }
		words=("$2" apply -r "")
		CURRENT=4
		_hivepatch
		_hivepatch_recipes' zsh "$zsh_dir" "$HIVEPATCH" | LC_ALL=C sort >"$work/got"
	if [ -s "$work/recipes" ]; then
		same_set "zsh: recipe names" "$work/recipes" "$work/got"
	fi
else
	echo "no zsh here: its completion not tested"
fi
finish
