/* Checked access to user memory (guest ring 0): the range must lie below
 * USER_TOP; a fault inside it either demand-maps the page (mm_fault) or
 * ends the copy with -EFAULT through the exception table (user.S). */
#include "mm/mm.h"
#include "core/proc.h"

int copy_from_user(void *dst, u64 usrc, u64 n)
{
	if (!user_ok(usrc, n))
		return -EFAULT;
	return n ? __copy_user(dst, (const void *)usrc, n) : 0;
}

int copy_to_user(u64 udst, const void *src, u64 n)
{
	if (!user_ok(udst, n))
		return -EFAULT;
	return n ? __copy_user((void *)udst, src, n) : 0;
}

int clear_user(u64 udst, u64 n)
{
	if (!user_ok(udst, n))
		return -EFAULT;
	return n ? __clear_user((void *)udst, n) : 0;
}

int user_strncpy(char *dst, u64 usrc, u64 max)
{
	if (usrc >= USER_TOP)
		return -EFAULT;
	if (max > USER_TOP - usrc)
		max = USER_TOP - usrc;
	return __strncpy_user(dst, (const char *)usrc, max);
}

s64 kernel_read(struct file *f, void *buf, u64 n)
{
	int saved = current->kaccess;
	current->kaccess = 1;
	s64 r = f->ops->read(f, (u64)buf, n);
	current->kaccess = saved;
	return r;
}

s64 kernel_write(struct file *f, const void *buf, u64 n)
{
	int saved = current->kaccess;
	current->kaccess = 1;
	s64 r = f->ops->write(f, (u64)buf, n);
	current->kaccess = saved;
	return r;
}
