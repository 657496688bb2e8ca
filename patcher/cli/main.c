/* main.c - the hivepatch command line: the only place that prints. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <locale.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/bytes.h"
#include "cli/json.h"
#include "command/patch.h"
#include "recipe/keypath.h"
#include "recipe/regfile.h"
#include "base/text.h"

enum exit_code {
	EXIT_OK = 0,
	EXIT_NOT_COMPLIANT = 1,
	EXIT_USAGE = 2,
};

#define MAX_REG_FILES 64

struct cli {
	const char *command;
	const char *reg_files[MAX_REG_FILES]; /* --reg FILE... */
	const char *scopes[MAX_REG_FILES];    /* --golden-scope KEY... */
	size_t scope_count;
	size_t reg_count;
	bool recipe_named;      /* -r given */
	bool utf8;              /* export: UTF-8 instead of UTF-16LE */
	const char *show_recipe; /* recipes --show NAME */
	struct patch_options options;
	bool json;
	int verbosity; /* -1 quiet, 0 normal, 1 verbose */
	const char *target;
	const char *key;
	int progress;  /* -1 never, 0 on a terminal for large archives, 1 always */
};

static void
usage(FILE *out)
{
	fputs("usage: hivepatch apply   [options] TARGET         set what the recipe asks\n"
	      "       hivepatch verify  [options] TARGET         exit 0 when compliant, 1 when not\n"
	      "       hivepatch show    [options] TARGET [KEY]   print a key's values and subkeys\n"
	      "       hivepatch recover [options] TARGET         replay a dirty hive's logs, write it clean\n"
	      "       hivepatch export  [options] TARGET [KEY]   write a key's subtree as a .reg file\n"
	      "       hivepatch diff    [options] A B            print a .reg that turns A into B\n"
	      "                                                  (exit 0 equal, 1 different)\n"
	      "       hivepatch recipes [--show NAME]            list the built-in recipes, or print one\n"
	      "\n"
	      "TARGET is a hive file, a directory holding a Windows tree (the hive is\n"
	      "Windows/System32/config/SYSTEM, matched without case), or an archive of\n"
	      "such a tree (tar, cpio, zip, 7z, iso9660, any compression; - reads one\n"
	      "from standard input).  apply writes an archive to -o OUT (- for standard\n"
	      "output) or over itself with --in-place, in the same format and compression.\n"
	      "KEY is written as Windows does (HKLM\\SYSTEM\\CurrentControlSet\\Control),\n"
	      "or relative to the root of a hive file (ControlSet001\\Control).\n"
	      "\n"
	      "options:\n"
	      "  -r, --recipe NAME        recipe to apply or verify (default kb2901554)\n"
	      "      --reg FILE           apply or verify a .reg file instead (repeatable)\n"
	      "      --control-set SET    default (the set the next boot uses), current,\n"
	      "                           all, or a number N for ControlSet00N\n"
	      "  -n, --dry-run            say what apply would change, write nothing\n"
	      "      --force              apply although the recipe is not for this Windows\n"
	      "      --backup PATH        copy the original hive to PATH before replacing it\n"
	      "      --golden HIVE        verify: also compare with a golden hive\n"
	      "      --golden-scope SCOPE recipe (the keys the recipe touches, default), all,\n"
	      "                           or a KEY (repeatable); HIVE may be a golden image\n"
	      "      --no-replay          refuse a dirty hive instead of recovering it from\n"
	      "                           its logs (SYSTEM.LOG1/LOG2) as Windows would\n"
	      "      --discard-logs       a dirty hive without a usable log: take it as it\n"
	      "                           is (what only the logs held is lost)\n"
	      "      --truncate-logs      empty the logs after a verified, synced commit\n"
	      "      --ignore-hibernation edit a hibernated image anyway\n"
	      "  -o, --output PATH        apply on an archive: write the patched archive to\n"
	      "                           PATH (- for standard output); recover: write\n"
	      "                           the clean hive to PATH\n"
	      "      --in-place           apply on an archive: replace it (only the hive's\n"
	      "                           bytes when an uncompressed tar, cpio or iso9660\n"
	      "                           allows)\n"
	      "      --hive-path PATH     archive: the SYSTEM entry to take when it holds\n"
	      "                           two Windows trees\n"
	      "      --progress, --no-progress\n"
	      "                           a progress line on stderr for archives (default:\n"
	      "                           on a terminal, for archives over 64 MiB)\n"
	      "      --utf8               export: UTF-8 instead of regedit's UTF-16LE\n"
	      "      --show NAME          recipes: print a recipe as a .reg file\n"
	      "      --json               print one JSON document on stdout\n"
	      "  -q, --quiet              print errors only\n"
	      "  -v, --verbose            print more detail\n"
	      "  -h, --help               print this help\n"
	      "      --version            print the version\n"
	      "\n"
	      "exit codes: 0 success (patched, already compliant; verify: compliant),\n"
	      "1 verify: not compliant, 2 usage error, 3 bad input (missing, unreadable,\n"
	      "corrupt, not a Windows tree), 4 refused for safety (nothing written),\n"
	      "5 write failed (nothing changed)\n",
	      out);
}

static int usage_error(const char *format, ...)
	__attribute__((format(printf, 1, 2)));

static int
usage_error(const char *format, ...)
{
	va_list ap;

	fputs("hivepatch: ", stderr);
	va_start(ap, format);
	vfprintf(stderr, format, ap);
	va_end(ap);
	fputs("\n(hivepatch --help for usage)\n", stderr);
	return EXIT_USAGE;
}

/* Print value data the way reg.exe shows it. */
static void
print_data(FILE *out, uint32_t type, const unsigned char *data, size_t len)
{
	if (type == HIVE_REG_DWORD && len == 4) {
		uint32_t v = get_le32(data);

		fprintf(out, "0x%08" PRIx32 " (%" PRIu32 ")", v, v);
	} else if (type == HIVE_REG_QWORD && len == 8) {
		uint64_t v = get_le64(data);

		fprintf(out, "0x%016" PRIx64 " (%" PRIu64 ")", v, v);
	} else if (type == HIVE_REG_SZ || type == HIVE_REG_EXPAND_SZ) {
		char *text = text_from_utf16le(data, len);

		fprintf(out, "\"%s\"", text != NULL ? text : "");
		free(text);
	} else if (type == HIVE_REG_MULTI_SZ) {
		size_t pos = 0;
		bool first = true;

		while (pos + 1 < len && (data[pos] | data[pos + 1]) != 0) {
			char *text = text_from_utf16le(data + pos, len - pos);

			fprintf(out, "%s\"%s\"", first ? "" : ", ",
				text != NULL ? text : "");
			first = false;
			while (pos + 1 < len && (data[pos] | data[pos + 1]) != 0)
				pos += 2;
			pos += 2;
			free(text);
		}
	} else {
		for (size_t i = 0; i < len && i < 64; i++)
			fprintf(out, "%s%02x", i == 0 ? "" : ",", data[i]);
		if (len > 64)
			fprintf(out, ",... (%zu bytes)", len);
	}
}

static void
json_value(struct json *json, const char *key, uint32_t type,
	   const unsigned char *data, size_t len)
{
	json_object_begin(json, key);
	json_string(json, "type", hive_type_name(type));
	if (type == HIVE_REG_DWORD && len == 4) {
		json_uint(json, "data", get_le32(data));
	} else if (type == HIVE_REG_QWORD && len == 8) {
		json_uint(json, "data", get_le64(data));
	} else if (type == HIVE_REG_SZ || type == HIVE_REG_EXPAND_SZ) {
		char *text = text_from_utf16le(data, len);

		json_string(json, "data", text);
		free(text);
	} else {
		char *hex = malloc(len * 2 + 1);

		if (hex != NULL) {
			for (size_t i = 0; i < len; i++)
				snprintf(hex + 2 * i, 3, "%02x", data[i]);
			hex[len * 2] = '\0';
		}
		json_string(json, "hex", hex);
		free(hex);
	}
	json_object_end(json);
}

/* The "error" member every --json document has on failure. */
static void
json_error(struct json *json, enum hp_status status,
	   const struct hp_error *err)
{
	json_object_begin(json, "error");
	json_string(json, "code", hp_status_name(status));
	json_uint(json, "exit", (uint64_t)hp_status_exit_code(status));
	json_string(json, "message", err->message);
	json_object_end(json);
}

static const char *
format_version(uint32_t minor)
{
	switch (minor) {
	case 3: return "1.3";
	case 4: return "1.4";
	case 5: return "1.5";
	case 6: return "1.6";
	default: return "other";
	}
}

/* The hive's base block and what the logs did to it. */
static void
json_hive_state(struct json *json, const struct patch_report *r)
{
	const struct hivefile *f = &r->file;

	if (!f->have_header)
		return;
	json_object_begin(json, "hive_header");
	json_uint(json, "sequence1", f->header.seq1);
	json_uint(json, "sequence2", f->header.seq2);
	json_string(json, "version", format_version(f->header.minor));
	json_bool(json, "dirty", f->dirty);
	json_object_end(json);
	json_object_begin(json, "replay");
	json_string(json, "state", !f->dirty ? "clean"
			      : f->recovered ? "recovered"
			      : f->discarded ? "discarded" : "refused");
	if (f->recovered) {
		json_string(json, "format", f->log.format == 6 ? "new" : "old");
		json_uint(json, "entries", f->log.entries);
		json_uint(json, "first_sequence", f->log.first_seq);
		json_uint(json, "last_sequence", f->log.last_seq);
		json_bool(json, "log1", f->log.used[0]);
		json_bool(json, "log2", f->log.used[1]);
		json_bool(json, "base_block_rebuilt", f->log.base_rebuilt);
		json_string(json, "detail", f->log.detail);
	}
	if (f->have_log_seq)
		json_uint(json, "log_max_sequence", f->log_max_seq);
	json_bool(json, "logs_truncated", r->logs_truncated);
	json_object_end(json);
}

static void
json_report(struct json *json, const struct cli *cli,
	    const struct patch_report *r, enum hp_status status,
	    const struct hp_error *err)
{
	const struct target *t = &r->target;

	json_string(json, "command", cli->command);
	json_string(json, "target", cli->target);
	json_string(json, "kind", r->have_target ? target_kind_name(t->kind) : NULL);
	json_string(json, "hive", r->have_target ? (t->system_inside != NULL ? t->system_inside : t->system) : NULL);
	json_string(json, "recipe", strcmp(cli->command, "recover") == 0 ? NULL : cli->options.recipe->name);
	json_hive_state(json, r);
	if (r->os.have_software) {
		json_object_begin(json, "os");
		json_string(json, "product", r->os.product_name);
		json_string(json, "version", r->os.version);
		json_string(json, "build", r->os.build);
		json_string(json, "installation_type", r->os.installation_type);
		json_string(json, "edition", r->os.edition_id);
		json_string(json, "product_type", r->os.product_type);
		json_object_end(json);
	} else if (r->os.product_type != NULL) {
		json_object_begin(json, "os");
		json_string(json, "product_type", r->os.product_type);
		json_object_end(json);
	} else {
		json_null(json, "os");
	}
	json_string(json, "applicability",
		    r->applicability == RECIPE_APPLIES ? "applies"
		    : r->applicability == RECIPE_DOES_NOT_APPLY ? "does not apply"
		    : "unknown");
	if (r->have_sets) {
		json_object_begin(json, "control_sets");
		json_string(json, "mode", controlset_mode_name(cli->options.control_set.mode));
		json_uint(json, "current", r->sets.current);
		json_uint(json, "default", r->sets.default_set);
		json_uint(json, "failed", r->sets.failed);
		json_uint(json, "last_known_good", r->sets.last_known_good);
		json_array_begin(json, "resolved");
		for (size_t i = 0; i < r->sets.count; i++)
			json_string(json, NULL, r->sets.names[i]);
		json_array_end(json);
		json_object_end(json);
	}
	json_array_begin(json, "changes");
	for (size_t h = 0; h <= r->other_count; h++) {
	const struct plan *plan = h == 0 ? &r->plan : &r->others[h - 1].plan;

	for (size_t i = 0; i < plan->count; i++) {
		const struct plan_change *c = &plan->changes[i];

		json_object_begin(json, NULL);
		json_string(json, "key", c->key);
		json_string(json, "value", c->value_name);
		json_string(json, "type", c->op == RECIPE_SET_VALUE ? hive_type_name(c->new_type) : NULL);
		if (c->had_old)
			json_value(json, "old", c->old.type, c->old.data, c->old.len);
		else
			json_null(json, "old");
		if (c->op == RECIPE_SET_VALUE)
			json_value(json, "new", c->new_type, c->new_data, c->new_len);
		else
			json_null(json, "new");
		json_string(json, "action", plan_action_name(c->action));
		json_bool(json, "creates_key", c->existing < c->part_count);
		if (c->line > 0)
			json_uint(json, "line", c->line);
		json_object_end(json);
	}
	}
	json_array_end(json);
	if (r->other_count > 0) {
		json_array_begin(json, "other_hives");
		for (size_t h = 0; h < r->other_count; h++) {
			const struct patch_hive *o = &r->others[h];

			json_object_begin(json, NULL);
			json_string(json, "name", o->name);
			json_string(json, "path", o->where.path);
			json_bool(json, "dirty", o->file.dirty);
			json_bool(json, "recovered", o->file.recovered);
			if (o->write_method != NULL) {
				json_string(json, "write_method", o->write_method);
				json_uint(json, "sequence_written", o->seq_after);
			}
			json_object_end(json);
		}
		json_array_end(json);
	}
	if (r->golden_compared) {
		json_object_begin(json, "golden");
		json_string(json, "hive", cli->options.golden);
		json_string(json, "scope", cli->options.golden_all ? "all" : "recipe");
		json_uint(json, "differences", r->golden.total);
		json_string_len(json, "reg", (const char *)r->golden_reg.data,
				r->golden_reg.len);
		json_array_begin(json, "diffs");
		for (size_t i = 0; i < r->golden.diff_count; i++) {
			json_object_begin(json, NULL);
			json_string(json, "key", r->golden.diffs[i].key);
			json_string(json, "what", r->golden.diffs[i].what);
			json_object_end(json);
		}
		json_array_end(json);
		json_object_end(json);
	}
	if (r->result == PATCH_RESULT_PATCHED ||
	    (r->result == PATCH_RESULT_RECOVERED && !cli->options.dry_run)) {
		json_string(json, "write_method", r->write_method);
		json_uint(json, "sequence_written", r->seq_after);
	}
	json_array_begin(json, "warnings");
	for (size_t i = 0; i < r->warning_count; i++)
		json_string(json, NULL, r->warnings[i]);
	json_array_end(json);
	json_string(json, "result", status == HP_OK ? patch_result_name(r->result) : "error");
	if (status != HP_OK) {
		json_error(json, status, err);
	}
}

static void
print_warnings(const struct cli *cli, const struct patch_report *r)
{
	if (cli->verbosity < 0)
		return;
	for (size_t i = 0; i < r->warning_count; i++)
		fprintf(stderr, "hivepatch: warning: %s\n", r->warnings[i]);
}

static void
print_change(const struct plan_change *c)
{
	if (c->value_name == NULL) {
		printf("  %s\n    (key): %s -> %s  [%s]\n", c->key,
		       c->existing == c->part_count ? "present" : "absent",
		       c->op == RECIPE_DELETE_KEY ? "deleted" : "present",
		       c->action == PLAN_NONE ? "ok" : plan_action_name(c->action));
		return;
	}
	printf("  %s\n    %s: ", c->key, c->value_name[0] != '\0' ? c->value_name : "(Default)");
	if (c->had_old) {
		printf("%s ", hive_type_name(c->old.type));
		print_data(stdout, c->old.type, c->old.data, c->old.len);
	} else {
		fputs("(absent)", stdout);
	}
	if (c->action == PLAN_NONE) {
		puts("  [ok]");
		return;
	}
	if (c->op == RECIPE_DELETE_VALUE) {
		printf(" -> (deleted)  [%s]\n", plan_action_name(c->action));
		return;
	}
	printf(" -> %s ", hive_type_name(c->new_type));
	print_data(stdout, c->new_type, c->new_data, c->new_len);
	printf("  [%s%s]\n", plan_action_name(c->action),
	       c->existing < c->part_count ? ", creates key" : "");
}

static size_t
total_writes(const struct patch_report *r)
{
	size_t writes = r->plan.writes;

	for (size_t h = 0; h < r->other_count; h++)
		writes += r->others[h].plan.writes;
	return writes;
}

static void
print_hive_state(const struct patch_report *r)
{
	const struct hivefile *f = &r->file;

	if (!f->dirty)
		return;
	if (f->recovered)
		printf("hive: dirty, recovered from its logs as Windows would at boot: %s\n",
		       f->log.detail);
	else if (f->discarded)
		puts("hive: dirty, no usable log: taken as it is (--discard-logs)");
}

static void
text_report(const struct cli *cli, const struct patch_report *r)
{
	const struct target *t = &r->target;

	if (cli->verbosity < 0)
		return;
	printf("target: %s (%s", cli->target, target_kind_name(t->kind));
	if (t->system_inside != NULL)
		printf(", hive %s", t->system_inside);
	puts(")");
	print_hive_state(r);
	if (r->os.have_software)
		printf("windows: %s (version %s, build %s, %s, %s)\n",
		       r->os.product_name ? r->os.product_name : "unknown",
		       r->os.version ? r->os.version : "?",
		       r->os.build ? r->os.build : "?",
		       r->os.installation_type ? r->os.installation_type : "?",
		       r->os.product_type ? r->os.product_type : "?");
	else if (r->os.product_type != NULL)
		printf("windows: ProductType %s (no SOFTWARE hive)\n",
		       r->os.product_type);
	if (r->have_sets) {
		printf("control sets: Default %u, Current %u ->",
		       (unsigned)r->sets.default_set, (unsigned)r->sets.current);
		for (size_t i = 0; i < r->sets.count; i++)
			printf(" %s", r->sets.names[i]);
		putchar('\n');
	}
	if (strcmp(cli->command, "recover") != 0) {
		printf("recipe %s:\n", cli->options.recipe->name);
		for (size_t i = 0; i < r->plan.count; i++)
			print_change(&r->plan.changes[i]);
		for (size_t h = 0; h < r->other_count; h++)
			for (size_t i = 0; i < r->others[h].plan.count; i++)
				print_change(&r->others[h].plan.changes[i]);
	}
	if (r->golden_compared) {
		printf("golden %s (%s): %zu difference%s\n", cli->options.golden,
		       cli->options.golden_all ? "whole hive" : "recipe keys",
		       r->golden.total, r->golden.total == 1 ? "" : "s");
		for (size_t i = 0; i < r->golden.diff_count; i++)
			printf("  %s: %s\n", r->golden.diffs[i].key,
			       r->golden.diffs[i].what);
		if (r->golden_reg.len > 0 && cli->verbosity > 0) {
			puts("golden: the .reg that turns the target into it:");
			fwrite(r->golden_reg.data, 1, r->golden_reg.len, stdout);
		}
	}
	if (cli->verbosity > 0 && r->file.have_header)
		printf("hive sequence numbers: %u/%u%s\n",
		       (unsigned)r->file.header.seq1,
		       (unsigned)r->file.header.seq2,
		       r->file.have_log_seq ? "" : " (no logs)");
	if (cli->verbosity > 0 && r->file.have_log_seq)
		printf("latest log sequence number: %u\n",
		       (unsigned)r->file.log_max_seq);
	switch (r->result) {
	case PATCH_RESULT_PATCHED:
		printf("result: patched (%zu change%s written",
		       total_writes(r), total_writes(r) == 1 ? "" : "s");
		if (r->plan.writes > 0)
			printf(", sequence number %u", (unsigned)r->seq_after);
		for (size_t h = 0; h < r->other_count; h++)
			if (r->others[h].plan.writes > 0)
				printf(", %s sequence number %u", r->others[h].name,
				       (unsigned)r->others[h].seq_after);
		if (cli->verbosity > 0)
			printf(", %s", r->write_method);
		puts(")");
		break;
	case PATCH_RESULT_ALREADY_COMPLIANT:
		puts("result: already compliant, nothing written");
		break;
	case PATCH_RESULT_WOULD_PATCH:
		printf("result: would patch (%zu change%s; dry run, nothing written)\n",
		       total_writes(r), total_writes(r) == 1 ? "" : "s");
		break;
	case PATCH_RESULT_COMPLIANT:
		puts("result: compliant");
		break;
	case PATCH_RESULT_NOT_COMPLIANT:
		puts("result: not compliant");
		break;
	case PATCH_RESULT_CLEAN:
		printf("result: clean, nothing to replay%s\n",
		       cli->options.output != NULL ? " (copied as it is)" : "");
		break;
	case PATCH_RESULT_RECOVERED:
		if (cli->options.dry_run)
			puts("result: would recover (dry run, nothing written)");
		else
			printf("result: recovered, written clean to %s (sequence number %u)\n",
			       cli->options.output != NULL ? cli->options.output
							   : r->target.system,
			       (unsigned)r->seq_after);
		break;
	case PATCH_RESULT_ERROR:
		break;
	}
}

static int
finish_output(void)
{
	if (fflush(stdout) == EOF || ferror(stdout) || fclose(stdout) == EOF) {
		fprintf(stderr, "hivepatch: standard output: %s\n",
			strerror(errno));
		return 5;
	}
	return 0;
}

/* The progress line on stderr: bytes done / total, and the rate. */
struct progress {
	bool shown;
	struct timespec start, last;
	int mode; /* as cli->progress */
};

static double
seconds_since(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t->tv_sec) +
	       (double)(now.tv_nsec - t->tv_nsec) / 1e9;
}

static void
show_progress(void *ctx, const char *what, uint64_t done, uint64_t total)
{
	struct progress *p = ctx;
	const double mib = 1024.0 * 1024.0;
	double elapsed;

	if (p->mode < 0 || (p->mode == 0 && total < 64 * 1024 * 1024))
		return;
	if (p->shown && done < total && seconds_since(&p->last) < 0.2)
		return;
	clock_gettime(CLOCK_MONOTONIC, &p->last);
	elapsed = seconds_since(&p->start);
	fprintf(stderr, "\rhivepatch: %s %.1f / %.1f MiB (%3.0f%%), %.1f MiB/s   ",
		what, (double)done / mib, (double)total / mib,
		total > 0 ? 100.0 * (double)done / (double)total : 100.0,
		elapsed > 0 ? (double)done / mib / elapsed : 0.0);
	p->shown = true;
	/* A pass that is done ends its line: what follows starts a new one. */
	if (done >= total) {
		fputc('\n', stderr);
		p->shown = false;
	}
}

static struct progress progress_state;

/* End a progress line left open (a pass that did not reach its end). */
static void
end_progress(void)
{
	if (progress_state.shown)
		fputc('\n', stderr);
	progress_state.shown = false;
}

/* Archives: the replaced entries' mtime (SOURCE_DATE_EPOCH when set),
 * compression threads, the progress line, and for -o - the archive on
 * the real standard output while reports go to stderr. */
static int
setup_archive_output(struct cli *cli)
{
	const char *epoch = getenv("SOURCE_DATE_EPOCH");
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	cli->options.entry_mtime = (int64_t)time(NULL);
	if (epoch != NULL && *epoch != '\0') {
		char *end;
		long long v = strtoll(epoch, &end, 10);

		if (*end != '\0' || v < 0) {
			fprintf(stderr, "hivepatch: SOURCE_DATE_EPOCH '%s' is not a number of seconds\n", epoch);
			return EXIT_USAGE;
		}
		cli->options.entry_mtime = (int64_t)v;
	}
	/* One compressing thread fewer than the CPUs: the main thread reads
	 * and decompresses beside them, as zstd -dc | zstd -T0 does. */
	cli->options.threads = cpus > 2 ? (int)(cpus > 64 ? 63 : cpus - 1) : 1;
	progress_state.mode = cli->progress;
	if (cli->progress == 0 && !isatty(STDERR_FILENO))
		progress_state.mode = -1;
	clock_gettime(CLOCK_MONOTONIC, &progress_state.start);
	cli->options.progress = show_progress;
	cli->options.progress_ctx = &progress_state;
	cli->options.output_fd = -1;
	if (cli->options.output != NULL && strcmp(cli->options.output, "-") == 0) {
		cli->options.output_fd = dup(STDOUT_FILENO);
		if (cli->options.output_fd == -1 ||
		    dup2(STDERR_FILENO, STDOUT_FILENO) == -1) {
			fprintf(stderr, "hivepatch: standard output: %s\n", strerror(errno));
			return 5;
		}
	}
	return 0;
}

static int
exit_code_for(enum hp_status status, const struct patch_report *r)
{
	if (status != HP_OK)
		return hp_status_exit_code(status);
	return r->result == PATCH_RESULT_NOT_COMPLIANT ? EXIT_NOT_COMPLIANT
						       : EXIT_OK;
}

static int
run_patch(struct cli *cli)
{
	struct patch_report report;
	struct hp_error err;
	enum hp_status status;
	int code, out;

	hp_error_clear(&err);
	if (strcmp(cli->command, "apply") == 0)
		status = patch_apply(cli->target, &cli->options, &report, &err);
	else if (strcmp(cli->command, "recover") == 0)
		status = patch_recover(cli->target, &cli->options, &report, &err);
	else
		status = patch_verify(cli->target, &cli->options, &report, &err);
	if (status != HP_OK)
		target_name_in_message(&report.target, &err);
	code = exit_code_for(status, &report);
	if (cli->json) {
		struct json json;

		json_init(&json, stdout);
		json_object_begin(&json, NULL);
		json_report(&json, cli, &report, status, &err);
		json_object_end(&json);
	} else if (status == HP_OK) {
		text_report(cli, &report);
	}
	print_warnings(cli, &report);
	if (status != HP_OK)
		fprintf(stderr, "hivepatch: %s\n", err.message);
	patch_report_release(&report);
	out = finish_output();
	return code != 0 ? code : out;
}

static int
run_show(struct cli *cli)
{
	struct patch_report report;
	struct patch_listing listing;
	struct hp_error err;
	enum hp_status status;
	int out;

	hp_error_clear(&err);
	status = patch_show(cli->target, cli->key, &cli->options, &report,
			    &listing, &err);
	if (status != HP_OK)
		target_name_in_message(&report.target, &err);
	if (cli->json) {
		struct json json;

		json_init(&json, stdout);
		json_object_begin(&json, NULL);
		json_string(&json, "command", "show");
		json_string(&json, "target", cli->target);
		json_string(&json, "key", status == HP_OK ? listing.key : cli->key);
		json_array_begin(&json, "values");
		for (size_t i = 0; i < listing.value_count; i++) {
			const struct hive_value *v = &listing.values[i];

			json_object_begin(&json, NULL);
			json_string(&json, "name", v->name);
			json_value(&json, "value", v->type, v->data, v->len);
			json_object_end(&json);
		}
		json_array_end(&json);
		json_array_begin(&json, "subkeys");
		for (size_t i = 0; i < listing.subkey_count; i++)
			json_string(&json, NULL, listing.subkeys[i]);
		json_array_end(&json);
		json_string(&json, "result", status == HP_OK ? "ok" : "error");
		if (status != HP_OK) {
			json_error(&json, status, &err);
		}
		json_object_end(&json);
	} else if (status == HP_OK) {
		puts(listing.key);
		for (size_t i = 0; i < listing.value_count; i++) {
			const struct hive_value *v = &listing.values[i];

			printf("    %s    %s    ",
			       v->name[0] != '\0' ? v->name : "(Default)",
			       hive_type_name(v->type));
			print_data(stdout, v->type, v->data, v->len);
			putchar('\n');
		}
		for (size_t i = 0; i < listing.subkey_count; i++)
			printf("    %s\\\n", listing.subkeys[i]);
	}
	print_warnings(cli, &report);
	if (status != HP_OK)
		fprintf(stderr, "hivepatch: %s\n", err.message);
	patch_listing_release(&listing);
	patch_report_release(&report);
	out = finish_output();
	return status != HP_OK ? hp_status_exit_code(status) : out;
}

static const char *
op_name(enum recipe_action action)
{
	switch (action) {
	case RECIPE_SET_VALUE: return "set";
	case RECIPE_CREATE_KEY: return "create";
	case RECIPE_DELETE_VALUE: return "delete";
	case RECIPE_DELETE_KEY: return "delete key";
	}
	return "set";
}

static int
run_export(struct cli *cli)
{
	struct patch_report report;
	struct hp_buffer out = { NULL, 0, 0 };
	struct hp_error err;
	enum hp_status status;
	int code;

	hp_error_clear(&err);
	status = patch_export(cli->target, cli->key, cli->utf8, &cli->options,
			      &report, &out, &err);
	if (status != HP_OK)
		target_name_in_message(&report.target, &err);
	print_warnings(cli, &report);
	if (status == HP_OK && fwrite(out.data, 1, out.len, stdout) != out.len)
		status = hp_error_set(&err, HP_ERR_WRITE, errno, "standard output");
	if (status != HP_OK)
		fprintf(stderr, "hivepatch: %s\n", err.message);
	buffer_release(&out);
	patch_report_release(&report);
	code = finish_output();
	return status != HP_OK ? hp_status_exit_code(status) : code;
}

static int
run_diff(struct cli *cli)
{
	struct hp_buffer out = { NULL, 0, 0 };
	struct hp_error err;
	size_t differences = 0;
	enum hp_status status;
	int code;

	hp_error_clear(&err);
	status = patch_diff(cli->target, cli->key, cli->utf8 || cli->json,
			    &cli->options, &out, &differences, &err);
	if (cli->json) {
		struct json json;

		json_init(&json, stdout);
		json_object_begin(&json, NULL);
		json_string(&json, "command", "diff");
		json_string(&json, "a", cli->target);
		json_string(&json, "b", cli->key);
		json_uint(&json, "differences", differences);
		if (status == HP_OK)
			json_string_len(&json, "reg", (const char *)out.data, out.len);
		json_string(&json, "result", status != HP_OK ? "error"
					     : differences == 0 ? "equal" : "different");
		if (status != HP_OK) {
			json_error(&json, status, &err);
		}
		json_object_end(&json);
	} else if (status == HP_OK &&
		   fwrite(out.data, 1, out.len, stdout) != out.len) {
		status = hp_error_set(&err, HP_ERR_WRITE, errno, "standard output");
	}
	if (status != HP_OK)
		fprintf(stderr, "hivepatch: %s\n", err.message);
	buffer_release(&out);
	code = finish_output();
	if (status != HP_OK)
		return hp_status_exit_code(status);
	return code != 0 ? code : differences > 0 ? EXIT_NOT_COMPLIANT : EXIT_OK;
}

static int
run_recipes(struct cli *cli)
{
	if (cli->show_recipe != NULL) {
		const struct recipe *r = recipe_builtin_find(cli->show_recipe);

		if (r == NULL)
			return usage_error("unknown recipe '%s' (hivepatch recipes lists them)",
					   cli->show_recipe);
		if (r->text != NULL)
			fputs(r->text, stdout);
		return finish_output();
	}
	if (cli->json) {
		struct json json;

		json_init(&json, stdout);
		json_object_begin(&json, NULL);
		json_array_begin(&json, "recipes");
	}
	for (size_t i = 0; i < recipe_builtin_count(); i++) {
		const struct recipe *r = recipe_builtin(i);

		if (cli->json) {
			struct json json;

			/* Continue the document begun above. */
			json_init(&json, stdout);
			json.depth = 2;
			json.first[2] = i == 0;
			json_object_begin(&json, NULL);
			json_string(&json, "name", r->name);
			json_string(&json, "summary", r->summary);
			json_string(&json, "reference", r->reference);
			json_string(&json, "for", r->target != NULL ? r->target->description : NULL);
			json_array_begin(&json, "operations");
			for (size_t k = 0; k < r->op_count; k++) {
				const struct recipe_op *op = &r->ops[k];

				json_object_begin(&json, NULL);
				json_string(&json, "action", op_name(op->action));
				json_string(&json, "key", op->key);
				json_string(&json, "value", op->value_name);
				if (op->action == RECIPE_SET_VALUE)
					json_value(&json, "data", op->type,
						   op->data, op->len);
				json_object_end(&json);
			}
			json_array_end(&json);
			json_object_end(&json);
			continue;
		}
		printf("%s%s\n  %s\n  reference: %s\n", r->name,
		       i == 0 ? " (default)" : "", r->summary, r->reference);
		if (r->target != NULL)
			printf("  for: %s\n", r->target->description);
		for (size_t k = 0; k < r->op_count; k++) {
			const struct recipe_op *op = &r->ops[k];

			if (op->value_name == NULL) {
				printf("  %s %s\n", op_name(op->action), op->key);
				continue;
			}
			printf("  %s %s\\%s", op_name(op->action), op->key,
			       op->value_name[0] != '\0' ? op->value_name : "(Default)");
			if (op->action == RECIPE_SET_VALUE) {
				printf(" = %s ", hive_type_name(op->type));
				print_data(stdout, op->type, op->data, op->len);
			}
			putchar('\n');
		}
	}
	if (cli->json)
		fputs("]}\n", stdout);
	return finish_output();
}

/* Read FILE whole. */
static enum hp_status
read_file(const char *path, unsigned char **data_ret, size_t *len_ret,
	  struct hp_error *err)
{
	FILE *f = fopen(path, "rb");
	unsigned char *data = NULL;
	size_t len = 0, cap = 0;

	*data_ret = NULL;
	if (f == NULL)
		return hp_error_set(err, errno == ENOENT ? HP_ERR_NOT_FOUND : HP_ERR_IO,
				    errno, "%s", path);
	for (;;) {
		size_t n;

		if (len == cap) {
			unsigned char *grown;

			cap = cap == 0 ? 65536 : cap * 2;
			grown = realloc(data, cap);
			if (grown == NULL) {
				free(data);
				fclose(f);
				return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s", path);
			}
			data = grown;
		}
		n = fread(data + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		int saved = errno;

		free(data);
		fclose(f);
		return hp_error_set(err, HP_ERR_IO, saved, "%s", path);
	}
	fclose(f);
	*data_ret = data;
	*len_ret = len;
	return HP_OK;
}

/* Parse every --reg file into one recipe: their operations in order. */
static int
load_reg_files(const struct cli *cli, struct recipe **recipe_ret, int *code_ret)
{
	struct recipe *parts[MAX_REG_FILES] = { NULL };
	struct hp_error err;
	enum hp_status status = HP_OK;

	*recipe_ret = NULL;
	for (size_t i = 0; status == HP_OK && i < cli->reg_count; i++) {
		unsigned char *data = NULL;
		size_t len = 0;

		status = read_file(cli->reg_files[i], &data, &len, &err);
		if (status == HP_OK)
			status = regfile_parse(data, len, cli->reg_files[i],
					       &parts[i], &err);
		free(data);
	}
	if (status == HP_OK)
		status = recipe_merge(parts, cli->reg_count, recipe_ret, &err);
	if (status == HP_OK)
		return 0; /* the parts belong to the merged recipe now */
	for (size_t i = 0; i < cli->reg_count; i++)
		recipe_free(parts[i]);
	fprintf(stderr, "hivepatch: %s\n", err.message);
	*code_ret = hp_status_exit_code(status);
	return -1;
}

enum long_only {
	OPT_CONTROL_SET = 256,
	OPT_FORCE,
	OPT_BACKUP,
	OPT_GOLDEN,
	OPT_GOLDEN_SCOPE,
	OPT_JSON,
	OPT_VERSION,
	OPT_NO_REPLAY,
	OPT_DISCARD_LOGS,
	OPT_TRUNCATE_LOGS,
	OPT_IGNORE_HIBERNATION,
	OPT_UTF8,
	OPT_SHOW,
	OPT_REG,
	OPT_IN_PLACE,
	OPT_HIVE_PATH,
	OPT_PROGRESS,
	OPT_NO_PROGRESS,
};

static const struct option long_options[] = {
	{ "recipe", required_argument, NULL, 'r' },
	{ "control-set", required_argument, NULL, OPT_CONTROL_SET },
	{ "dry-run", no_argument, NULL, 'n' },
	{ "force", no_argument, NULL, OPT_FORCE },
	{ "backup", required_argument, NULL, OPT_BACKUP },
	{ "golden", required_argument, NULL, OPT_GOLDEN },
	{ "golden-scope", required_argument, NULL, OPT_GOLDEN_SCOPE },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "no-replay", no_argument, NULL, OPT_NO_REPLAY },
	{ "discard-logs", no_argument, NULL, OPT_DISCARD_LOGS },
	{ "truncate-logs", no_argument, NULL, OPT_TRUNCATE_LOGS },
	{ "ignore-hibernation", no_argument, NULL, OPT_IGNORE_HIBERNATION },
	{ "output", required_argument, NULL, 'o' },
	{ "in-place", no_argument, NULL, OPT_IN_PLACE },
	{ "hive-path", required_argument, NULL, OPT_HIVE_PATH },
	{ "progress", no_argument, NULL, OPT_PROGRESS },
	{ "no-progress", no_argument, NULL, OPT_NO_PROGRESS },
	{ "utf8", no_argument, NULL, OPT_UTF8 },
	{ "reg", required_argument, NULL, OPT_REG },
	{ "show", required_argument, NULL, OPT_SHOW },
	{ "quiet", no_argument, NULL, 'q' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 },
};

struct command {
	const char *name;
	int (*run)(struct cli *cli);
	int min_args, max_args;
};

static const struct command commands[] = {
	{ "apply", run_patch, 1, 1 },
	{ "verify", run_patch, 1, 1 },
	{ "show", run_show, 1, 2 },
	{ "recover", run_patch, 1, 1 },
	{ "export", run_export, 1, 2 },
	{ "diff", run_diff, 2, 2 },
	{ "recipes", run_recipes, 0, 0 },
};

int
main(int argc, char **argv)
{
	struct cli cli = { 0 };
	const struct command *command = NULL;
	struct hp_error err;
	bool no_replay = false, discard_logs = false;
	int c, args;

	/* libarchive converts entry names through the locale's charset; in
	 * the C locale a UTF-8 name (zip, 7z, pax) has no spelling at all,
	 * so C is taken as C.UTF-8 where the system has it. */
	{
		const char *ctype = setlocale(LC_CTYPE, "");

		if (ctype == NULL || strcmp(ctype, "C") == 0 ||
		    strcmp(ctype, "POSIX") == 0) {
			/* macOS has no C.UTF-8; its "UTF-8" is the same. */
			if (setlocale(LC_CTYPE, "C.UTF-8") == NULL &&
			    setlocale(LC_CTYPE, "UTF-8") == NULL)
				setlocale(LC_CTYPE, "en_US.UTF-8");
		}
	}
	cli.options.recipe = recipe_builtin(0);
	cli.options.control_set.mode = CONTROLSET_DEFAULT;
	while ((c = getopt_long(argc, argv, "r:no:qvh", long_options, NULL)) !=
	       -1) {
		switch (c) {
		case 'r':
			cli.recipe_named = true;
			cli.options.recipe = recipe_builtin_find(optarg);
			if (cli.options.recipe == NULL)
				return usage_error("unknown recipe '%s' (hivepatch recipes lists them)",
						   optarg);
			break;
		case OPT_CONTROL_SET:
			if (controlset_parse(optarg, &cli.options.control_set,
					     &err) != HP_OK)
				return usage_error("%s", err.message);
			break;
		case 'n':
			cli.options.dry_run = true;
			break;
		case OPT_FORCE:
			cli.options.force = true;
			break;
		case OPT_BACKUP:
			cli.options.backup = optarg;
			break;
		case OPT_GOLDEN:
			cli.options.golden = optarg;
			break;
		case OPT_GOLDEN_SCOPE:
			if (strcmp(optarg, "all") == 0) {
				cli.options.golden_all = true;
			} else if (strcmp(optarg, "recipe") == 0) {
				cli.options.golden_all = false;
			} else {
				struct keypath scope;

				if (keypath_parse(optarg, &scope, &err) != HP_OK)
					return usage_error("'%s': golden scope must be recipe, all or a key: %s",
							   optarg, err.message);
				keypath_release(&scope);
				if (cli.scope_count == MAX_REG_FILES)
					return usage_error("more than %d golden scopes", MAX_REG_FILES);
				cli.scopes[cli.scope_count++] = optarg;
				cli.options.golden_scopes = cli.scopes;
				cli.options.golden_scope_count = cli.scope_count;
			}
			break;
		case OPT_JSON:
			cli.json = true;
			break;
		case OPT_NO_REPLAY:
			no_replay = true;
			break;
		case OPT_DISCARD_LOGS:
			discard_logs = true;
			break;
		case OPT_TRUNCATE_LOGS:
			cli.options.truncate_logs = true;
			break;
		case OPT_IGNORE_HIBERNATION:
			cli.options.ignore_hibernation = true;
			break;
		case 'o':
			cli.options.output = optarg;
			break;
		case OPT_IN_PLACE:
			cli.options.in_place = true;
			break;
		case OPT_HIVE_PATH:
			cli.options.hive_path = optarg;
			break;
		case OPT_PROGRESS:
			cli.progress = 1;
			break;
		case OPT_NO_PROGRESS:
			cli.progress = -1;
			break;
		case OPT_UTF8:
			cli.utf8 = true;
			break;
		case OPT_SHOW:
			cli.show_recipe = optarg;
			break;
		case OPT_REG:
			if (cli.reg_count == MAX_REG_FILES)
				return usage_error("more than %d --reg files", MAX_REG_FILES);
			cli.reg_files[cli.reg_count++] = optarg;
			break;
		case 'q':
			cli.verbosity = -1;
			break;
		case 'v':
			cli.verbosity = 1;
			break;
		case 'h':
			usage(stdout);
			return finish_output();
		case OPT_VERSION:
			printf("hivepatch %s\n", PACKAGE_VERSION);
			return finish_output();
		default:
			fputs("(hivepatch --help for usage)\n", stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc)
		return usage_error("%s", "no command given (apply, verify, show or recipes)");
	cli.command = argv[optind++];
	for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
		if (strcmp(commands[i].name, cli.command) == 0)
			command = &commands[i];
	if (command == NULL)
		return usage_error("unknown command '%s'", cli.command);
	args = argc - optind;
	if (args < command->min_args)
		return usage_error("%s: TARGET is missing", cli.command);
	if (args > command->max_args)
		return usage_error("too many arguments, starting at '%s'",
				   argv[optind + command->max_args]);
	if (args > 0)
		cli.target = argv[optind];
	if (args > 1)
		cli.key = argv[optind + 1];
	if (cli.options.golden != NULL && strcmp(cli.command, "verify") != 0)
		return usage_error("%s", "--golden goes with verify");
	if (cli.options.backup != NULL && strcmp(cli.command, "apply") != 0)
		return usage_error("%s", "--backup goes with apply");
	if (cli.utf8 && strcmp(cli.command, "export") != 0 &&
	    strcmp(cli.command, "diff") != 0)
		return usage_error("%s", "--utf8 goes with export or diff");
	if (cli.show_recipe != NULL && strcmp(cli.command, "recipes") != 0)
		return usage_error("%s", "--show goes with recipes");
	if (cli.options.output != NULL && strcmp(cli.command, "recover") != 0 &&
	    strcmp(cli.command, "apply") != 0)
		return usage_error("%s", "--output goes with apply (archives) or recover");
	if (cli.options.in_place && strcmp(cli.command, "apply") != 0)
		return usage_error("%s", "--in-place goes with apply");
	if (cli.options.in_place && cli.options.output != NULL)
		return usage_error("%s", "--in-place and -o: choose one");
	if (cli.options.output != NULL && strcmp(cli.options.output, "-") == 0 &&
	    strcmp(cli.command, "apply") != 0)
		return usage_error("%s", "-o - (standard output) goes with apply on an archive");
	if (cli.options.output != NULL && strcmp(cli.options.output, "-") == 0 &&
	    cli.target != NULL && strcmp(cli.target, "-") != 0 &&
	    isatty(STDOUT_FILENO))
		return usage_error("%s", "-o -: standard output is a terminal; redirect it to a file or a pipe");
	if ((c = setup_archive_output(&cli)) != 0)
		return c;
	if (cli.options.truncate_logs && strcmp(cli.command, "apply") != 0 &&
	    strcmp(cli.command, "recover") != 0)
		return usage_error("%s", "--truncate-logs goes with apply or recover");
	if (no_replay && discard_logs)
		return usage_error("%s", "--no-replay and --discard-logs contradict each other");
	if (no_replay && strcmp(cli.command, "recover") == 0)
		return usage_error("%s", "recover replays logs: --no-replay makes no sense with it");
	if (cli.reg_count > 0 && cli.recipe_named)
		return usage_error("%s", "-r and --reg: choose one");
	if (cli.reg_count > 0 && strcmp(cli.command, "apply") != 0 &&
	    strcmp(cli.command, "verify") != 0)
		return usage_error("%s", "--reg goes with apply or verify");
	cli.options.replay = no_replay ? HIVEFILE_NO_REPLAY
			     : discard_logs ? HIVEFILE_DISCARD_LOGS
					    : HIVEFILE_REPLAY;
	if (cli.reg_count > 0) {
		struct recipe *loaded = NULL;
		int code;

		if (load_reg_files(&cli, &loaded, &code) != 0)
			return code;
		cli.options.recipe = loaded;
		code = command->run(&cli);
		recipe_free(loaded);
		end_progress();
		return code;
	}
	if (cli.options.recipe == NULL) {
		fputs("hivepatch: out of memory reading the built-in recipe\n", stderr);
		return 5;
	}
	c = command->run(&cli);
	end_progress();
	return c;
}
