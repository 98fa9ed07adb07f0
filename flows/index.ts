/**
 * All flows, and what every flow shares: what intents do (router.ts) and the fallback texts.
 */
import type { FlowSet } from "../src/engine/engine.js";
import { attendance } from "./attendance.js";
import { checkin } from "./checkin.js";
import { enrollment } from "./enrollment.js";
import { feedback } from "./feedback.js";
import { followup } from "./followup.js";
import { surveyOfferFlow } from "./survey.js";
import { help, language, menu } from "./menu.js";
import { privacy } from "./privacy.js";
import { profile } from "./profile.js";
import { registration } from "./registration.js";
import { schedule } from "./schedule.js";
import { staff } from "./staff.js";
import { onIntent } from "./router.js";
import { texts } from "./texts.js";

export const flowSet: FlowSet = {
  flows: Object.fromEntries(
    [
      registration,
      menu,
      help,
      language,
      enrollment,
      schedule,
      profile,
      privacy,
      attendance,
      staff,
      feedback,
      followup,
      surveyOfferFlow,
      checkin,
    ].map((f) => [f.name, f]),
  ),
  home: { flow: "menu", node: "main" },
  registration: { flow: "registration", node: "welcome" },
  texts: {
    mediaNotSupported: texts.mediaNotSupported,
    notUnderstood: texts.notUnderstood,
    invalidChoice: texts.invalidChoice,
    whichOne: texts.whichOne,
    staleButton: texts.staleButton,
    cannotAnswer: texts.cannotAnswer,
  },
  onIntent,
};
