/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SSCT_HELP_H
#define SSCT_HELP_H

extern const char ssct_help_create[];
extern const char ssct_help_remove[];
extern const char ssct_help_flush[];
extern const char ssct_help_detach[];
extern const char ssct_help_attach[];
extern const char ssct_help_set[];
extern const char ssct_help_list[];
extern const char ssct_help_status[];
extern const char ssct_help_stats[];
extern const char ssct_help_inspect[];
extern const char ssct_help_assemble[];
extern const char ssct_help_shutdown[];
extern const char ssct_help_advise[];
extern const char ssct_help_resize[];

#endif /* SSCT_HELP_H */
