/*
 * Questions before sending: answers that contradict each other are
 * asked about kindly, never refused. "May we contact you?" and the
 * contact details are checked against each other; the reporter either
 * changes an answer or presses "Send as it is" (the form's "confirm"
 * button), and the report is then stored as they sent it.
 */
#ifndef TIPLINE_ASK_H
#define TIPLINE_ASK_H

#include "form.h"

enum ask {
	ASK_NONE = 0,
	ASK_CONTACT_HOW,	/* "yes, contact me", and no contact details */
	ASK_CONTACT_KEEP,	/* "no, do not", and contact details given */
};

#define ASK_CONFIRM_CONTACT	"contact"	/* the button's value */

/* The question r calls for; ASK_NONE when the reporter already
 * answered it with "Send as it is". */
enum ask	ask_report(const struct report *r);

#endif
