/* wimundo.h - the way back from an append to a WIM file.
 *
 * wimlib appends in place: new data goes after the WIM's old end, then
 * the new tables, and the header at offset 0 last.  Until the header is
 * written the old header still describes the old WIM, so a failure or a
 * kill before that point leaves the original content readable; but not
 * the original bytes: wimlib marks the header "write in progress" first,
 * and the appended data stays after the old end.  A crash of the system
 * between the header write and wimlib's final sync can even leave a new
 * header whose tables never reached the disk.
 *
 * So before the append, the old header, the old size and the bytes
 * wimlib may write over (those after the old end, usually none) are
 * saved in an undo record beside the WIM, ".NAME.hivepatch-wimundo",
 * written under a "-unsealed" name, synced, renamed and the directory
 * synced.  A failed append or read-back rolls the WIM back from that
 * record; a run that finds one left by a killed run rolls back too, unless
 * the WIM carries a new header and reads back whole (the append finished
 * and only the record's removal was lost).  Either way the WIM is the
 * original byte for byte, or the patched one.
 *
 * Format, version 1 (little-endian; CRC-32 as zlib's):
 *   0   8  "HPWIMUND"
 *   8   4  version, 1
 *   12  4  header length H (208)
 *   16  8  st_dev of the WIM
 *   24  8  st_ino of the WIM
 *   32  8  the WIM's size before the append
 *   40  8  T, where the saved tail starts
 *   48  8  L, the tail's length (T + L = the old size)
 *   56  4  reserved, 0
 *   60  4  CRC-32 of bytes 0..59
 *   64  H  the old header
 *   ..  L  the old bytes at T
 *   ..  4  CRC-32 of the H + L bytes
 */
#ifndef HIVEPATCH_WIM_WIMUNDO_H
#define HIVEPATCH_WIM_WIMUNDO_H

#include <stdbool.h>
#include <stdint.h>

#include "base/status.h"

/* The size of a WIM header. */
#define WIMUNDO_HEADER_SIZE 208

/* Where an append starts writing in a WIM whose header is HEADER (the
 * end of its integrity table, else of its XML data). */
uint64_t wimundo_append_start(const unsigned char *header);

struct wimundo {
	char *record;   /* the record's path */
	char *wim;      /* the WIM's path */
	char *display;  /* the WIM, as messages name it */
	bool sealed;
};

/* Does the WIM at WIM_PATH open and read back whole?  Judges a WIM
 * whose header an interrupted append did rewrite. */
typedef bool wimundo_reads_back_fn(const char *wim_path, void *ctx);

/* Look for a record left by an earlier run on the WIM at PATH and act on
 * it: roll the WIM back when the append never finished, or when its new
 * header does not READS_BACK; remove it when the append finished.
 * *ROLLED_BACK_RET says whether the WIM was rolled back.  A record that
 * is damaged or belongs to another file: HP_ERR_CHANGED naming it, the
 * WIM untouched. */
enum hp_status wimundo_recover(const char *path, const char *display,
			       wimundo_reads_back_fn *reads_back, void *ctx,
			       bool *rolled_back_ret, struct hp_error *err);

/* Save what an append to the WIM open on FD (at PATH) may change, and
 * seal the record.  Tails over 256 MiB are refused (HP_ERR_UNSUPPORTED):
 * --rebuild writes such a WIM anew.  Release with wimundo_release. */
enum hp_status wimundo_begin(struct wimundo *undo, const char *path,
			     const char *display, int fd, struct hp_error *err);

/* Put the WIM back as the record says, from the record file, and remove
 * the record. */
enum hp_status wimundo_rollback(struct wimundo *undo, struct hp_error *err);

/* The append is synced and read back: remove the record. */
enum hp_status wimundo_finish(struct wimundo *undo, struct hp_error *err);

void wimundo_release(struct wimundo *undo);

#endif
