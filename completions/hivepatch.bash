# SPDX-License-Identifier: GPL-3.0-or-later
# bash completion for hivepatch: the commands, the options each command
# takes (as the table in patcher/cli/options.c says; tests/cli/completion.sh
# keeps the two equal), files and directories for TARGET and the options
# naming a file, and recipe names from `hivepatch recipes`.
#
# make install puts it where bash-completion loads it on first use
# (.../bash-completion/completions/hivepatch); without bash-completion,
# source it from ~/.bashrc.  Needs bash 4.

_hivepatch_commands='apply verify show recover export diff recipes help'

# Options every command but help takes, and those of every command that
# reads an image.
_hivepatch_common='--json -q --quiet -v --verbose -h --help --version'
_hivepatch_readers='--discard-logs --wait --hive-path --progress --no-progress
--hive --index --check --partition --allow-backing'

# _hivepatch_options COMMAND: the options COMMAND takes (all of them
# before a command is given, since options may come first).
_hivepatch_options()
{
	local extra
	case $1 in
	apply) extra="$_hivepatch_readers -r --recipe --reg --control-set --user -n
--dry-run --force --backup --no-replay --truncate-logs --ignore-hibernation
--keep-links -o --output --in-place --rebuild --memory-limit" ;;
	verify) extra="$_hivepatch_readers -r --recipe --reg --control-set --user
--golden --golden-scope --no-replay" ;;
	show) extra="$_hivepatch_readers --control-set --user --no-replay" ;;
	recover) extra="$_hivepatch_readers -n --dry-run --truncate-logs
--ignore-hibernation --keep-links -o --output --rebuild" ;;
	export) extra="$_hivepatch_readers --control-set --user --no-replay --utf8" ;;
	diff) extra="$_hivepatch_readers --no-replay --utf8" ;;
	recipes) extra='--show' ;;
	help)
		printf '%s\n' --json -h --help --version
		return
		;;
	'') extra="$_hivepatch_readers -r --recipe --reg --control-set --user -n
--dry-run --force --backup --golden --golden-scope --no-replay
--truncate-logs --ignore-hibernation --keep-links -o --output --in-place --rebuild
--memory-limit --utf8 --show" ;;
	*) extra='' ;;
	esac
	printf '%s\n' $_hivepatch_common $extra
}

# _hivepatch_takes_arg OPTION: true when OPTION's value is the next word.
_hivepatch_takes_arg()
{
	case $1 in
	-r | --recipe | --control-set | --backup | --golden | --golden-scope | \
		-o | --output | --hive-path | --reg | --show | --user | --hive | \
		--index | --partition | --memory-limit)
		return 0
		;;
	esac
	return 1
}

# _hivepatch_short_takes_arg CLUSTER: a cluster of short options (-qo)
# ending in one that takes a value from the next word.
_hivepatch_short_takes_arg()
{
	local i c
	for ((i = 1; i < ${#1}; i++)); do
		c=${1:i:1}
		if [[ $c == [ro] ]]; then
			((i == ${#1} - 1))
			return
		fi
	done
	return 1
}

# _hivepatch_files: files and directories (a TARGET may be either).
_hivepatch_files()
{
	if declare -F _filedir >/dev/null; then
		_filedir
		return
	fi
	local IFS=$'\n'
	compopt -o filenames 2>/dev/null
	COMPREPLY=($(compgen -f -- "$cur"))
}

# _hivepatch_recipes PROGRAM: the recipe names PROGRAM lists.
_hivepatch_recipes()
{
	local program=$1
	if ! type -P -- "$program" >/dev/null 2>&1; then
		program=hivepatch
	fi
	COMPREPLY=($(compgen -W "$("$program" recipes 2>/dev/null |
		awk '/^[^ \t]/ { print $1 }')" -- "$cur"))
}

# _hivepatch_value OPTION: complete the value of OPTION in $cur.
_hivepatch_value()
{
	case $1 in
	-r | --recipe | --show) _hivepatch_recipes "${COMP_WORDS[0]}" ;;
	--control-set) COMPREPLY=($(compgen -W 'default current all' -- "$cur")) ;;
	--golden-scope) COMPREPLY=($(compgen -W 'recipe all' -- "$cur")) ;;
	--backup | --golden | -o | --output | --reg) _hivepatch_files ;;
	--hive) COMPREPLY=($(compgen -W 'SYSTEM SOFTWARE SAM SECURITY DEFAULT COMPONENTS
DRIVERS NTUSER.DAT UsrClass.dat' -- "$cur")) ;;
	--user) COMPREPLY=($(compgen -W 'Default' -- "$cur")) ;;
	--index) COMPREPLY=($(compgen -W 'all' -- "$cur")) ;;
	--memory-limit) COMPREPLY=($(compgen -W '512M 1G 2G' -- "$cur")) ;;
	*) COMPREPLY=() ;; # --hive-path: a path inside an archive; --partition
	esac
}

_hivepatch()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev='' command='' word
	local i skip=0 after_dashes=0 positional=0
	COMPREPLY=()

	# Walk the words before the cursor: options with their values, the
	# command, and how many arguments it already has.  COMP_WORDBREAKS
	# usually splits --recipe=NAME into '--recipe' '=' 'NAME'.
	for ((i = 1; i < COMP_CWORD; i++)); do
		word=${COMP_WORDS[i]}
		if ((skip)); then
			skip=0
			[[ $word == = ]] && skip=1
			continue
		fi
		if ((!after_dashes)); then
			case $word in
			--) after_dashes=1; continue ;;
			--*=*) continue ;;
			--*)
				_hivepatch_takes_arg "$word" && skip=1
				continue
				;;
			-?*)
				_hivepatch_short_takes_arg "$word" && skip=1
				continue
				;;
			esac
		fi
		if [[ -z $command ]]; then
			command=$word
		else
			((positional++))
		fi
	done

	# The value of an option: after '--opt', '--opt=', or inside '--opt=VAL'.
	if ((skip)); then
		prev=${COMP_WORDS[COMP_CWORD - 1]}
		[[ $prev == = ]] && prev=${COMP_WORDS[COMP_CWORD - 2]}
		[[ $cur == = ]] && cur=''
		[[ $prev == -[!-]* ]] && prev=-${prev: -1}
		_hivepatch_value "$prev"
		return
	fi
	if ((!after_dashes)) && [[ $cur == --*=* ]]; then
		# '=' is no word break here: the reply replaces the whole word.
		prev=${cur%%=*}
		cur=${cur#*=}
		compopt +o filenames 2>/dev/null
		_hivepatch_value "$prev"
		COMPREPLY=("${COMPREPLY[@]/#/$prev=}")
		return
	fi

	if ((!after_dashes)) && [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$(_hivepatch_options "$command")" -- "$cur"))
		return
	fi
	if [[ -z $command ]]; then
		COMPREPLY=($(compgen -W "$_hivepatch_commands" -- "$cur"))
		return
	fi
	case $command,$positional in
	apply,0 | verify,0 | recover,0 | show,0 | export,0 | diff,0 | diff,1)
		_hivepatch_files
		;;
	help,0)
		COMPREPLY=($(compgen -W "$_hivepatch_commands" -- "$cur"))
		;;
	esac
	# show and export: KEY is free text (HKLM\SYSTEM\...); recipes: nothing.
}

complete -F _hivepatch hivepatch
