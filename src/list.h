/*
 * list.h - a circular doubly linked list with a sentinel head, the kernel's
 * list_head. Nodes are embedded in the structures they link (container_of).
 */
#ifndef KZ_LIST_H
#define KZ_LIST_H

#include <stdbool.h>

#include "util.h"

struct kz_list {
	struct kz_list *next, *prev;
};

static inline void list_init(struct kz_list *head)
{
	head->next = head->prev = head;
}

static inline bool list_empty(const struct kz_list *head)
{
	return head->next == head;
}

static inline void list_insert(struct kz_list *node, struct kz_list *prev, struct kz_list *next)
{
	node->prev = prev;
	node->next = next;
	prev->next = node;
	next->prev = node;
}

/* At the front: the next list_first() finds it. */
static inline void list_add(struct kz_list *node, struct kz_list *head)
{
	list_insert(node, head, head->next);
}

static inline void list_add_tail(struct kz_list *node, struct kz_list *head)
{
	list_insert(node, head->prev, head);
}

static inline void list_del(struct kz_list *node)
{
	node->prev->next = node->next;
	node->next->prev = node->prev;
	node->next = node->prev = NULL;
}

#define list_entry(node, type, member) container_of(node, type, member)

#define list_for_each(pos, head) for (pos = (head)->next; pos != (head); pos = pos->next)

#define list_for_each_reverse(pos, head) for (pos = (head)->prev; pos != (head); pos = pos->prev)

#endif /* KZ_LIST_H */
