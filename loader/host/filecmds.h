/* bhimage's single-file commands (gunzip, sha256).  Host only. */
#ifndef BULKHEAD_LOADER_FILECMDS_H
#define BULKHEAD_LOADER_FILECMDS_H
int bh_cmd_gunzip(const char *path);
int bh_cmd_sha256(const char *path);
#endif
