// SPDX-License-Identifier: GPL-2.0
/*
 * dm-ssdcache: placeholder pass-through target (replaced by the real cache).
 */
#include <linux/module.h>
#include <linux/device-mapper.h>

#define DM_MSG_PREFIX "ssdcache"

struct ssc_placeholder {
	struct dm_dev *origin;
	struct dm_dev *cache;
};

static int ssc_ctr(struct dm_target *ti, unsigned int argc, char **argv)
{
	struct ssc_placeholder *p;
	int r;

	if (argc < 2) {
		ti->error = "Need <origin> <cache>";
		return -EINVAL;
	}
	p = kzalloc(sizeof(*p), GFP_KERNEL);
	if (!p)
		return -ENOMEM;
	r = dm_get_device(ti, argv[0], dm_table_get_mode(ti->table), &p->origin);
	if (r) {
		ti->error = "Origin device lookup failed";
		kfree(p);
		return r;
	}
	r = dm_get_device(ti, argv[1], dm_table_get_mode(ti->table), &p->cache);
	if (r) {
		ti->error = "Cache device lookup failed";
		dm_put_device(ti, p->origin);
		kfree(p);
		return r;
	}
	ti->private = p;
	return 0;
}

static void ssc_dtr(struct dm_target *ti)
{
	struct ssc_placeholder *p = ti->private;

	dm_put_device(ti, p->origin);
	dm_put_device(ti, p->cache);
	kfree(p);
}

static int ssc_map(struct dm_target *ti, struct bio *bio)
{
	struct ssc_placeholder *p = ti->private;

	bio_set_dev(bio, p->origin->bdev);
	return DM_MAPIO_REMAPPED;
}

static struct target_type ssc_target = {
	.name = "ssdcache",
	.version = {0, 0, 1},
	.module = THIS_MODULE,
	.ctr = ssc_ctr,
	.dtr = ssc_dtr,
	.map = ssc_map,
};

static int __init ssc_init(void)
{
	return dm_register_target(&ssc_target);
}

static void __exit ssc_exit(void)
{
	dm_unregister_target(&ssc_target);
}

module_init(ssc_init);
module_exit(ssc_exit);
MODULE_DESCRIPTION(DM_NAME " SSD cache target (placeholder)");
MODULE_LICENSE("GPL");
