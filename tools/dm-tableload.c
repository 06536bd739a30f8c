// SPDX-License-Identifier: GPL-2.0
/*
 * dm-tableload: feed many table lines to a device-mapper target's
 * constructor quickly (one process, raw DM ioctls, no libdevmapper), for
 * the hostile-input VM scenario: under emulation every dmsetup process
 * costs ~0.2 s.
 *
 *   dm-tableload [-v] DEVICE TARGET <LINES
 *
 * DEVICE is an existing dm device (e.g. "dmsetup create x --notable").
 * Each input line is "<length><TAB><target arguments>". The line is loaded
 * as the inactive table "0 <length> TARGET <arguments>" (DM_TABLE_LOAD runs
 * the constructor). When it is accepted, the inactive table is read back
 * (DM_TABLE_STATUS), that printed line is loaded again and must be
 * accepted too, and the table is cleared (destructor). Prints
 * "tried N refused N accepted N" at the end (and with -v each refused line
 * and its errno). Exit status 1 when a printed table was refused or an
 * ioctl that must work failed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/dm-ioctl.h>

#define BUFSZ 65536

static union {
	struct dm_ioctl io;
	char raw[BUFSZ];
} u;

static void init_io(const char *dev, uint32_t flags)
{
	memset(&u, 0, sizeof(u));
	u.io.version[0] = DM_VERSION_MAJOR;
	u.io.version[1] = 0;
	u.io.version[2] = 0;
	u.io.data_size = BUFSZ;
	u.io.data_start = sizeof(struct dm_ioctl);
	u.io.flags = flags;
	snprintf(u.io.name, sizeof(u.io.name), "%s", dev);
}

static int load(int fd, const char *dev, const char *target,
		unsigned long long len, const char *params)
{
	struct dm_target_spec *sp;
	size_t plen = strlen(params) + 1;

	if (sizeof(struct dm_ioctl) + sizeof(*sp) + plen + 8 > BUFSZ) {
		errno = E2BIG;
		return -1;
	}
	init_io(dev, 0);
	u.io.target_count = 1;
	sp = (struct dm_target_spec *)(u.raw + u.io.data_start);
	sp->sector_start = 0;
	sp->length = len;
	snprintf(sp->target_type, sizeof(sp->target_type), "%s", target);
	memcpy((char *)(sp + 1), params, plen);
	sp->next = (sizeof(*sp) + plen + 7) & ~7u;
	return ioctl(fd, DM_TABLE_LOAD, &u.io);
}

/* The inactive table's arguments (after the target name) into @out. */
static int inactive_table(int fd, const char *dev, char *out, size_t outlen,
			  unsigned long long *len)
{
	struct dm_target_spec *sp;

	init_io(dev, DM_STATUS_TABLE_FLAG | DM_QUERY_INACTIVE_TABLE_FLAG);
	if (ioctl(fd, DM_TABLE_STATUS, &u.io))
		return -1;
	if (u.io.target_count != 1) {
		errno = ENOENT;
		return -1;
	}
	sp = (struct dm_target_spec *)(u.raw + u.io.data_start);
	*len = sp->length;
	snprintf(out, outlen, "%s", (char *)(sp + 1));
	return 0;
}

static int clear(int fd, const char *dev)
{
	init_io(dev, 0);
	return ioctl(fd, DM_TABLE_CLEAR, &u.io);
}

int main(int argc, char **argv)
{
	static char line[BUFSZ], printed[BUFSZ];
	unsigned long tried = 0, refused = 0, accepted = 0, bad = 0;
	unsigned long long len, plen;
	const char *dev, *target;
	int fd, verbose = 0;
	char *tab, *end;

	if (argc > 1 && !strcmp(argv[1], "-v")) {
		verbose = 1;
		argv++;
		argc--;
	}
	if (argc != 3) {
		fprintf(stderr, "usage: dm-tableload [-v] DEVICE TARGET <LINES\n");
		return 2;
	}
	dev = argv[1];
	target = argv[2];
	fd = open("/dev/mapper/control", O_RDWR);
	if (fd < 0) {
		perror("dm-tableload: /dev/mapper/control");
		return 1;
	}
	while (fgets(line, sizeof(line), stdin)) {
		line[strcspn(line, "\n")] = '\0';
		tab = strchr(line, '\t');
		if (!tab)
			continue;
		*tab = '\0';
		len = strtoull(line, &end, 10);
		tried++;
		if (load(fd, dev, target, len, tab + 1)) {
			refused++;
			if (verbose)
				printf("refused (%s): %s\n", strerror(errno), tab + 1);
			continue;
		}
		accepted++;
		if (inactive_table(fd, dev, printed, sizeof(printed), &plen)) {
			fprintf(stderr, "dm-tableload: cannot read back '%s': %s\n",
				tab + 1, strerror(errno));
			bad++;
		} else if (load(fd, dev, target, plen, printed)) {
			fprintf(stderr, "dm-tableload: printed table '%s' of '%s' refused: %s\n",
				printed, tab + 1, strerror(errno));
			bad++;
		}
		if (clear(fd, dev)) {
			fprintf(stderr, "dm-tableload: clear failed: %s\n",
				strerror(errno));
			bad++;
		}
	}
	printf("tried %lu refused %lu accepted %lu\n", tried, refused, accepted);
	close(fd);
	return bad ? 1 : 0;
}
