/** A Twilio CallSid: `CA` and 32 letters and digits. */
export const TWILIO_CALL_SID = /^CA[0-9A-Za-z]{10,40}$/;

/** A jambonz call_sid: a UUID. */
export const JAMBONZ_CALL_SID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether a string is the call id of a call one of the hotline's carriers (Twilio, jambonz) placed. */
export function isCallId(value: string): boolean {
  return TWILIO_CALL_SID.test(value) || JAMBONZ_CALL_SID.test(value);
}

/** What may be typed in a search for a call id (either carrier's, or a part of one). */
export const CALL_ID_SEARCH = /^[A-Za-z0-9-]*$/;
