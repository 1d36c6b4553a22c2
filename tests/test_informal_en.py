"""Informal English messages: the secrecy scopes must know the words people type in chats and notes.

Each draft below is a short chat line, note, text or e-mail written for the test, in other words
than the evaluation drafts: it stands for a kind of message (a fleet movement, a key change, a
rate decision before the announcement, a patient on a ward ...). A secret draft names the
United States or United Kingdom scope item whose concept must fire on it, subject and condition
in one window; public drafts about the same subjects (a news chat, a quiz, a published result)
must stay public.
"""

from __future__ import annotations

import functools

import pytest
from mijian.classifiers import classify as _classify
from mijian.pipeline.model import Document

# These cases pin the rules (steps 1-5 of the policy) on their own; the suggestion that
# weighs them with the second reader is measured on the eval splits (tests/test_second_reading.py).
classify = functools.partial(_classify, second_reader=False)


def _suggest(text: str):
    return classify(Document(source="t.txt", sha256="0" * 64, kind="txt", language="en", text=text))


SECRET = [
    # (name, band, the item whose concept must fire in a window, draft)
    ("group on station", (3, 3), "us-a-03",
     "Heads up - the amphib group leaves Rota on Monday, should be on station off Crete by Wed 1400Z. "
     "One destroyer stays behind for the escort job."),
    ("strike group transit", (3, 3), "us-a-03",
     "[Teams]\nLt Cruz 08:02: the carrier strike group turns south tonight, strait transit planned for Friday 0300Z\n"
     "Lt Cruz 08:03: don't put it in the newsletter"),
    ("frigate peels off", (3, 3), "us-a-03",
     "The frigate peels off from the task group tomorrow and heads north, on station in the Gulf by 0400Z Sunday."),
    ("informant and wiretap", (3, 3), "uk-secret-01",
     "Confidential informant says the cocaine load comes in through Dock 4 Thursday night. We hit the address "
     "Friday at 0600 if the wiretap backs it up. Keep his name off the paperwork."),
    ("strike day", (3, 3), "uk-secret-01",
     "[WhatsApp]\nSgt Bell: the OCG's drug shipment moves Saturday, strike day is Sunday 0500\n"
     "DC Amin: noted, will brief the arrest teams tomorrow"),
    ("controlled delivery", (3, 3), "uk-secret-01",
     "The controlled delivery lands at Felixstowe Monday; takedown planned for Tuesday 0500 once the wire "
     "confirms the handover."),
    ("source meet", (3, 3), "uk-secret-01",
     "Jim - our CHIS 'Kestrel' has the next meet Tuesday, Tesco car park in Wigan, around 7. Handler only, "
     "don't log it until after."),
    ("rate vote leaning", (3, 3), "uk-secret-05",
     "Between us: the MPC vote is leaning towards a 25bp cut next Thursday, the governor's statement draft "
     "already has the new guidance line."),
    ("statement draft", (3, 3), "uk-secret-05",
     "FOMC statement draft went round this morning - they're leaning to a 50bp hike, announcement's 2pm "
     "Wednesday. Don't trade on it, obviously."),
    ("minutes split", (3, 3), "uk-secret-05",
     "[WhatsApp]\nAnna: MPC minutes draft shows a 5-4 split, hold by one vote\n"
     "Anna: announcement's next Thursday noon, not a word"),
    ("paper at the printer", (2, 3), "uk-os-05",
     "Hi Sam, the A-level chemistry paper went to print today; question 4 is now the titration one. Please keep "
     "your copy locked away until the sitting."),
    ("test form", (2, 3), "uk-os-05",
     "Test form B for the June admin has been finalised: item 22 is now B, item 31 is now A. Printer gets the "
     "files Tuesday."),
    ("physics paper", (2, 3), "uk-os-05",
     "The physics paper for next week has gone to print; question 6 is now the one on the pendulum."),
    ("misconduct enquiry", (1, 2), "uk-os-04",
     "The misconduct investigation into the regional manager opens Monday; allegations are expense fraud and "
     "bullying. She doesn't know yet, so please keep it to the two of us."),
    ("ig interview", (1, 2), "uk-os-04",
     "OIG wants to schedule the IG interview with the procurement chief next week. The allegation is steering "
     "contracts to a relative. He hasn't been told."),
    ("gross misconduct", (1, 2), "uk-os-04",
     "Professional standards have opened a gross misconduct investigation into the duty sergeant. He hasn't been "
     "told; interview under caution next week."),
    ("rekey", (3, 3), "us-c-05",
     "Duty note: the rekey on the brigade net is 0001Z Saturday. New keymat is in the safe, two-person integrity "
     "for the handover, old key tape to be destroyed Sunday."),
    ("changeover and fills", (3, 3), "us-c-05",
     "[Signal]\nSgt Lee: key changeover for the HF link moved to 2300Z Friday\n"
     "Sgt Lee: courier takes the fills to the outstations Thursday, old material destroyed and certified after"),
    ("custodian note", (3, 4), "us-c-05",  # keying material of every net: 绝密 under cn-crypto-01
     "Comsec custodian: crypto changeover for all nets is 2359 on the 30th; outstation couriers collect the "
     "keying material Tuesday, superseded key tape destroyed two-person on the 1st."),
    ("ward chat", (1, 1), "uk-os-02",
     "[Ward 7 group]\nNurse Ali: bed 4 Mrs. Khan is MRSA positive, barrier nursing from now\n"
     "Nurse Jo: ok, her son's visiting at 3"),
    ("new dx", (1, 1), "uk-os-02",
     "FYI bed 9 Mr. O'Neill - new dx of early dementia, he's asked us not to tell his daughter yet."),
    ("line list", (1, 1), "uk-os-02",
     "Health protection: 9 measles cases at St Mary's primary, names and addresses in the attached line list. "
     "Press release tomorrow with numbers only."),
    ("private read-out", (3, 3), "uk-secret-03",
     "Their PM's private read-out to our ambassador: they'll drop the tariff demand if we sign before the summit. "
     "Our red line stays at 10 percent, don't go below."),
    ("pull-aside", (3, 3), "uk-secret-03",
     "Quick read of the pull-aside: their foreign minister said privately that their president won't survive the "
     "autumn, and they want us to hold the aid until then. Not for the wider team."),
    ("would drop", (3, 3), "uk-secret-03",
     "From the pull-aside: their foreign minister would drop the fisheries demand if we move first on visas. "
     "Not for the wider team."),
    ("deterrent boat", (4, 4), "uk-ts-02",
     "Sailing date for the deterrent boat moved to Tuesday night, dived transit through the Minch then straight "
     "into the patrol area."),
    ("v-boat", (4, 4), "uk-ts-02",
     "The V-boat slips from Faslane on Thursday night, patrol area unchanged, return date mid-March. Only the "
     "watch officers know."),
    ("draft cpi", (2, 3), "uk-os-03",
     "Draft ONS figures: CPI print is 3.4 for October, ministers being told tomorrow, publication's Wednesday "
     "7am. Keep it quiet."),
    ("lockup", (2, 3), "uk-os-03",
     "Just out of the lockup - nonfarm payrolls +211k, unemployment rate 3.9. Nothing goes out till 8:30."),
    ("outbreak figures", (1, 2), "uk-os-03",
     "UKHSA figures for the outbreak: 87 confirmed, 6 in ICU. Not being published until the Thursday presser."),
    ("reshuffle list", (2, 2), "uk-os-06",
     "The reshuffle list: Patel to the Home Office, Reid out, replaced by Moss, to be announced Friday. Reid's "
     "being told Thursday."),
    ("board results", (1, 2), "uk-os-06",
     "Promotion board results are in: Diaz and Kim made it, Ortiz didn't. Release to the force isn't until "
     "the 1st."),
    ("permanent secretary", (2, 2), "uk-os-06",
     "New permanent secretary for the Treasury is Clarke - PM signs off today, to be announced Wednesday. "
     "Being told Tuesday."),
    ("pricing model", (1, 2), "uk-official-03",
     "[Slack]\nraj: the pricing model's in the private repo now, /src/model/discounts.py has the margin curves\n"
     "ana: keep it out of the shared drive pls"),
    ("accounts list", (1, 2), "uk-official-03",
     "[Teams]\nOmar: need the accounts list for the top clients - contact names, ARR and renewal month\n"
     "Eve: will DM it, not going on the shared drive"),
    ("embassy contact watched", (3, 4), "uk-secret-06",
     "The chap from the embassy we've been watching met the engineer again at the same pub, handed over a USB. "
     "That's enough for the warrant application. Not a word to the company."),
    ("consulate officer", (3, 4), "uk-secret-06",
     "Surveillance team says the intelligence officer from the consulate met the student twice this week. "
     "Warrant request goes in Monday."),
    ("panel minded", (1, 1), "uk-official-04",
     "The panel met after the hearing: two members are minded to find for the respondent, the chair disagrees. "
     "Written reasons won't be out for weeks. Not a word to either side."),
    ("bench inclined", (1, 2), "uk-official-04",  # a panel's leaning before judgment: 秘密 in cn-courts-01
     "Quick update from chambers: the bench is inclined to find for the council on ground 2, draft reasons to "
     "follow. Before hand-down nothing goes to the parties."),
    ("our man in", (4, 4), "us-c-01",
     "Our man in the palace says the president told the inner circle they'll move the missiles next month. "
     "Only you, me and the station chief know."),
    ("source inside", (4, 4), "us-c-01",
     "Our source inside the defence ministry reports the general told the inner circle the launch is set for "
     "March. The DDO wants this held to three names."),
    ("card sets", (4, 4), "us-h-03",
     "Change to the nuclear C2 procedures: new authentication codes load on the 5th, alert aircraft switch card "
     "sets at 0000Z, sealed packets go by hand to the wing."),
    ("sealed authenticators", (4, 4), "us-h-03",
     "TACAMO crews get the new sealed authenticators on the 2nd; card set rolls at 0000Z, two-person "
     "hand-carry from the vault."),
    ("hull life", (3, 4), "uk-secret-02",
     "The capability annex: we're extending hull life on the boats by 4 years and the successor programme slips "
     "to 2040. Not in the public version, obviously."),
    ("fleet availability", (3, 4), "uk-secret-02",
     "Fleet availability brief: only one boat available until June, life extension on the older hulls slips to "
     "2031. Not in the public version of the review."),
    ("sanctions coming", (2, 2), "us-e-02",
     "The Treasury is going to announce new sanctions on Friday - the two shipping firms and the bank in Dubai. "
     "Our exposure memo is due Thursday."),
    ("designations", (2, 2), "us-e-02",
     "OFAC is about to announce the designations on Thursday - two refiners and a tanker operator. Please don't "
     "tell the client yet."),
    ("base survey", (1, 2), "uk-os-07",
     "The contractor wants the sub-metre control points for the naval base perimeter; only via the sponsor "
     "please."),
    ("lidar of the air base", (1, 2), "uk-os-07",
     "The lidar survey of the air base is done: point cloud at centimetre accuracy. Send it only through the "
     "approved channel."),
]


PUBLIC = [
    # (name, draft): everyday talk about the same subjects, nothing unpublished
    ("rate cut in the news", "Did you see the Fed cut rates by 25bp yesterday? The chair's statement said further "
     "adjustments are possible. Mortgage rates should follow."),
    ("published vote", "News: the MPC voted 6-3 to hold Bank Rate at 5%, the minutes were published at noon."),
    ("rate rise today", "Bank of England raised Bank Rate to 5.25% today; the governor's statement blamed services "
     "inflation."),
    ("revision tip", "Revision tip: do the GCSE maths paper 2 from last year, question 9 on cylinder volume is a "
     "classic. Answer key is on the exam board website."),
    ("results day", "The GCSE results are out - well done everyone. Physics paper grade boundaries are on the exam "
     "board site."),
    ("reshuffle news", "The reshuffle announced on Monday saw Harris replaced by Okafor at DfE, according to "
     "the BBC."),
    ("navy press release", "Navy press release: the carrier strike group completed its port visit and will head "
     "north for a NATO exercise next month."),
    ("open day", "Faslane open day photos are up on the base Facebook page - lots of families came along."),
    ("ig report published", "The inspector general's report on the travel card programme was published today; it "
     "found weak controls at three offices."),
    ("password rollover", "Reminder from IT: password rollover is on the 1st, please change your password before "
     "then."),
    ("spy podcast", "Interesting podcast on the Cambridge spy ring - they met their handlers in cafes and handed "
     "over documents for years."),
    ("counter-intelligence history", "Podcast recommendation: a great episode on how counter-intelligence caught the "
     "Cold War spies in Cambridge."),
    ("public speech", "The ambassador said in a public speech that their prime minister is committed to the "
     "aid deal."),
    ("tribunal reasons out", "The employment tribunal found for the claimant last week; written reasons have now "
     "been published on gov.uk."),
    ("new ward", "Hospital news: the new isolation ward opened today, with 12 beds for patients with C diff "
     "and MRSA."),
    ("sanctions reported", "Treasury announced new sanctions on three banks on Monday, according to Reuters."),
    ("ferry trip", "Lovely weather, the ferry's sailing date is Saturday and we sail from Oban at 9."),
    ("comsec course", "Training reminder: crypto rollover procedures are covered in module 3 of the COMSEC awareness "
     "course on the intranet."),
    ("bake sale", "Grandma's recipe: 200g flour, bake at 180C for 25 minutes. Sharing on the shared drive for the "
     "bake sale!"),
]


MORE_SECRET = [
    ("deploy", (3, 3), "us-a-01",
     "Heads up, 2nd Brigade is wheels up Thursday for the border mission. Families don't get told till the "
     "48-hour notice."),
    ("sat", (3, 4), "us-c-02",
     "[Slack #ops]\nTom: the NRO bird's plane change burn is tomorrow 0300Z, then it parks over the gulf for "
     "10 days\nAmy: k"),
    ("warheads", (4, 4), "us-h-01",
     "The W88s are moving from Pantex to Kings Bay next week - convoy leaves Tuesday night, route via I-40."),
    ("missile test", (3, 3), "us-a-02",
     "The test shot from Vandenberg is Thursday 0400 local, range closure goes out Wednesday. Nobody outside "
     "the range team."),
    ("scada", (3, 3), "us-g-01",
     "FYI the SCADA at the Millbrook water plant is still unpatched, HMI has default creds, anyone on the VPN "
     "could get in."),
    ("motorcade", (3, 3), "us-g-02",
     "POTUS motorcade leaves via the back gate at 1410, alternate route is Elm then 5th. Keep it off the "
     "group chat."),
    ("intercept", (3, 4), "us-c-02",
     "We've got their comms - the intercept has their colonel ordering the strike. Don't let on we can read them."),
    ("cpi", (2, 3), "uk-os-03",
     "BLS lockup: CPI came in hot, 0.4 m/m, core 0.3. Out at 8:30 tomorrow, don't say anything."),
    ("budget", (2, 3), "uk-secret-05",
     "The Chancellor's going to freeze the thresholds and put 5p on fuel duty. Budget's on the 26th, red book "
     "draft is with us. Don't breathe a word."),
    ("nominee", (2, 2), "uk-os-06",
     "The nominee for ambassador to Japan is Rachel Ortiz, White House announces Tuesday. She's been told, "
     "nobody else has."),
    ("judge", (1, 2), "uk-official-04",
     "Clerk says the judge is going to deny the motion to dismiss, order drops Friday. Don't tell opposing counsel."),
    ("bafo", (1, 2), "uk-os-01",
     "Our BAFO is 4.2m, best and final due Friday noon, don't let the subcontractors see the number."),
    ("merger", (2, 3), "uk-os-03",
     "We're buying Acme - announce Monday pre-market. Project Falcon. Don't trade, you're on the insider list."),
    ("raid", (3, 3), "uk-secret-01",
     "The raid on the flat on Cobden Street is Thursday 6am, armed support booked. Don't tell the "
     "neighbourhood team."),
    ("h5n1", (1, 2), "uk-os-03",
     "We've got the first human H5N1 case in the county, a poultry worker. CDC hasn't announced it yet, press "
     "call Monday."),
    ("dam", (1, 2), "uk-os-08",
     "The seepage at the dam toe is increasing, the engineers think the emergency plan may be activated this "
     "week. Don't tell the press yet."),
    ("plot", (4, 4), "uk-ts-01",
     "The cell is planning to hit the marathon, we're watching all four, arrests Friday before the race. "
     "Nobody else."),
    ("ceasefire", (3, 3), "us-d-01",
     "The Secretary will tell them privately we'd accept a ceasefire without the withdrawal clause. That's "
     "our fallback, don't float it yet."),
    ("visit", (3, 3), "us-g-02",
     "POTUS is going to Kyiv Sunday, unannounced, travelling pool gets told on the plane. Nobody outside the "
     "advance team."),
    ("reserve", (1, 2), "uk-os-01",
     "The council won't go above 1.8m for the depot site, bids close Wednesday. Don't let the agents know."),
    ("intel-assess", (3, 3), "uk-secret-03",
     "JIC's latest read: they'll invade in the spring, high confidence. Not going outside the building."),
    ("mole", (3, 4), "uk-secret-06",
     "We think there's a mole in the finance ministry feeding them our position papers. Investigation's "
     "quiet, only four of us know."),
    ("sub-loc", (3, 3), "us-a-03",
     "The Astute boat is sitting off the Norwegian coast till the 20th then heads to the Barents. Don't "
     "mention it on the open line."),
    ("jamming", (3, 3), "us-a-02",
     "Their jammer knocks out our GPS guidance at 30 km, that's why the last two rounds missed. Keep that out "
     "of the press lines."),
    ("sigint-cable", (3, 4), "us-c-02",
     "We're on the cable now - tap at the landing station is live, pulling their ministry traffic since Tuesday."),
    ("covert-op", (4, 4), "us-c-03",
     "The finding's signed. We're funding the opposition through two front companies, totally deniable. "
     "Nobody on the Hill outside the Gang of Eight."),
    ("fgi", (2, 3), "us-b-01",
     "The Brits gave us this on condition it goes no further - their read on the Iranian program. Don't share "
     "with the other partners."),
    ("embassy-src", (3, 3), "us-d-03",
     "Our contact in the palace told the DCM the king is dying - please protect him, he'd be finished if this "
     "got out."),
    ("export-chip", (2, 2), "us-e-02",
     "Commerce is adding the three Chinese fabs to the entity list next week, not announced yet. Don't let "
     "the sales team near it."),
    ("hypersonic", (3, 3), "us-e-01",
     "The glide body hit Mach 8 on the last shot and held together, first time ever. Program's not telling "
     "anyone until the review."),
    ("nuclear-guard", (3, 3), "us-f-01",
     "The guard force at the plutonium store is down to 6 on nights, response time is now 11 minutes. Don't "
     "put that in the audit report."),
    ("vuln-grid", (3, 3), "us-g-01",
     "The zero-day in the substation RTUs is still unpatched across the region, vendor says no fix till March."),
    ("budget-uk", (2, 3), "uk-secret-05",
     "Red book says the Chancellor's cutting NI by 2p from April - don't breathe a word till she stands up "
     "Wednesday."),
    ("tender-uk", (1, 2), "uk-os-01",
     "Our bid for the prison catering contract is \u00a33.2m - lowest we can go. Submission deadline is "
     "Tuesday noon, don't share."),
    ("ct-uk", (4, 4), "uk-ts-01",
     "Source says the cell has the precursors and is planning a device for the concert next Saturday. We're "
     "watching all three addresses, arrests Thursday."),
    ("staff-discipl", (1, 2), "uk-os-04",
     "HR note: the disciplinary hearing for Dave in accounts is Monday, he's likely to be dismissed for gross "
     "misconduct. He hasn't been told."),
    ("cable tap live", (3, 3), "us-c-02",
     "The tap on their backbone went live Tuesday, we're pulling the defence ministry's traffic. Nobody "
     "outside the compartment."),
    ("arg on station", (3, 3), "us-a-03",
     "[Teams]\nCdr Hale 07:10: the ARG moves into the gulf tomorrow night, on station by 0500Z Thursday\nCdr "
     "Hale 07:11: keep it off the unclass side"),
    ("chief of staff pick", (2, 2), "uk-os-06",
     "The secretary's pick for the new chief of staff is Gen. Moore, announcement Thursday. He's been told, "
     "nobody else knows."),
    ("trade figures early sight", (2, 3), "uk-os-03",
     "Early sight of the trade figures: deficit widened to 8.2bn. Publication's 7am tomorrow - ministers "
     "being told tonight."),
    ("entry team", (3, 3), "uk-secret-01",
     "Re: the Kestrel job - strike day is Wednesday, entry team in at 0500, armed support booked. Keep the "
     "neighbourhood team out of it."),
    ("exord signed", (3, 4), "us-a-01",
     "EXORD's signed - strike package goes tonight, TOT 0230Z, TLAMs from the two boats in the Red Sea. Keep "
     "it on the high side."),
    ("frago", (3, 3), "us-a-01",
     "FRAGO just dropped: 3rd Battalion moves to the assembly area at first light tomorrow, H-hour is 0600."),
    ("target deck", (3, 4), "us-a-01",
     "The target deck for Saturday has 14 aim points including the two bridges. Don't put it on the low side."),
    ("on the grid", (2, 2), "uk-os-06",
     "The announcement on the new police chief is on the grid for Tuesday - Hughes gets it. She's being told "
     "Monday."),
    ("the knock", (3, 3), "uk-secret-01",
     "SIO says the knock on the main target's address is Wednesday 5am, obs team stays on him till then."),
    ("box have him", (3, 4), "uk-secret-06",
     "Box have him under surveillance - the Russian from the trade delegation, meeting a civil servant from "
     "DESNZ. Warrant's going in."),
    ("the cousins", (2, 3), "us-b-01",
     "The cousins passed us their read on the coup plotters, caveated no onward sharing. Only our team."),
    ("not to leave this room", (2, 2), "uk-os-06",
     "No10 wants the reshuffle done by Friday - Chen to Defence, Patel out. Not to leave this room."),
    ("bank levy", (3, 3), "uk-secret-05",
     "HMT is planning to raise the bank levy by 0.1 in the Budget. Red book draft has it, please keep it "
     "tight till Wednesday."),
    ("cobr meeting", (2, 3), "uk-secret-01",
     "COBR is meeting at 7 on the threat level - they're likely to raise it to critical. Not public yet."),
    ("threat level", (3, 4), "uk-secret-01",
     "JTAC is about to raise the threat level to critical after last night's intel. Announcement at 10, not before."),
    ("hiv status in chat", (1, 1), "uk-os-02",
     "pt in room 14, Jane Doe DOB 3/4/61, HIV+ and on PrEP failure workup, don't chart the partner's name"),
    ("psych hold", (1, 1), "uk-os-02",
     "FYI Mr. Alvarez in 6B was put on a psych hold last night, his employer keeps calling - don't confirm "
     "he's here."),
    ("performance plan", (1, 1), "uk-os-02",
     "Between us, Kate in marketing is on a PIP and will probably be let go in March. She doesn't know yet."),
    ("floor price", (1, 2), "uk-os-01",
     "Our floor price for the Acme renewal is $42 a seat, we can go to $38 if they threaten to walk. Don't "
     "tell the reseller."),
    ("juror vote", (1, 2), "uk-official-04",
     "Juror note leaked to us: they're 11-1 for conviction on count 2, foreperson asked about a majority "
     "direction. Obviously can't say anything."),
    ("oig case", (1, 2), "uk-os-04",
     "OIG's opened a case on the deputy administrator for the contract steering - interview's Thursday, he "
     "has no idea."),
    ("lfs numbers", (2, 3), "uk-os-03",
     "Pre-release: unemployment is up to 4.6 in the new LFS numbers. Out Tuesday 7am, you're on the list so "
     "don't share."),
    ("dot plot", (3, 3), "uk-secret-05",
     "Heard from the board staff: the decision is a hold, but the dot plot shifts down two cuts. Statement's "
     "at 2pm Wednesday, keep it quiet."),
    ("free-response questions", (2, 3), "uk-os-05",
     "The AP Bio free-response questions for May are locked - Q3 is the enzyme one. Don't leak it to the prep "
     "class."),
    ("e-7 list", (1, 2), "uk-os-06",
     "The E-7 list drops Friday, I saw it early - you made it. Don't tell anyone till it's out."),
    ("unannounced flight", (3, 3), "us-g-02",
     "The PM flies to Kyiv tonight, nobody's been told, press pool meets at Northolt at 2am. Total blackout "
     "till she lands."),
    ("milsat drift", (3, 4), "us-a-03",
     "The new Skynet bird's orbit raise is on the 12th at 0400Z, then it drifts to 53 East. Ops only."),
    ("warhead convoy escort", (4, 4), "us-h-01",
     "Warhead convoy leaves Burghfield Tuesday night for Coulport, route via the A74, two-vehicle escort."),
    ("dashboard figure", (1, 2), "uk-os-03",
     "The county has 3 deaths from the measles outbreak, not 1 like the dashboard says. Health director wants "
     "to hold until Monday's press conference."),
    ("embankment crack", (1, 2), "uk-os-08",
     "The reservoir embankment has a crack that's getting worse - if it goes, the village floods. Don't tell "
     "the parish council until the engineer's been."),
    ("not read in", (3, 4), "us-c-02",
     "Don't mention the collection program to Jen, she's not read in. The selectors on the ministry go live Monday."),
    ("a&e figures", (1, 2), "uk-os-03",
     "A&E figures for November: 4-hour performance 68%, worst on record. Not out till Thursday's stats "
     "release, Secretary of State wants lines first."),
    ("paper question swapped", (2, 3), "uk-os-05",
     "The A-level physics paper 1 for next month - we've had to swap question 7, the replacement's gone to print."),
    ("notice to move", (3, 3), "uk-secret-02",
     "The 16 Air Assault lads are on 24 hours' notice to move to Cyprus, no announcement till they're on the "
     "ground."),
    ("intercepts to the pm", (3, 4), "us-c-02",
     "Intercepts show their general ordering the drone strike; the take is going to the PM tonight, not read "
     "in beyond the cell."),
]

MORE_PUBLIC = [
    ("charity run", "Heads up the charity 10k is Sunday, road closures on Elm from 6am. Spread the word!"),
    ("cpi published", "The BLS CPI release yesterday came in at 0.4% m/m, hotter than expected."),
    ("quiz decider", "Our team won the quiz - the question on the Cuban missile crisis was the decider."),
    ("spy plane book", "Reading a great book about the Cold War U-2 spy plane programme, the declassified "
     "chapters are fascinating."),
    ("snack bar raid", "The charity football match is Saturday at 3pm, the raid on the snack bar starts at "
     "half time lol."),
    ("dam programme", "Press release: the minister announced the new dam safety programme today; the "
     "reservoir at Highfield will get a new spillway."),
    ("warhead trivia", "Fun fact for the quiz: the W88 warhead was designed at Los Alamos in the 1980s, as "
     "documented on Wikipedia."),
    ("ruling published", "OK team, the judge ruled in our favour last week and the ruling is on the court "
     "website. Drinks Friday!"),
    ("bird feeder", "Heads up: the new bird feeder is up in the garden, the bird's sitting on it now."),
    ("rose garden", "POTUS speaks at the Rose Garden at 2pm today, the schedule is on whitehouse.gov."),
    ("cricket", "Cricket tonight: the bowling is tight, first ball at 6pm, bring your own bat."),
    ("fun run bid", "Our bid for the school fun run sponsorship went in - fingers crossed! Closing date was Friday."),
    ("feed went live", "Our Instagram feed went live at 9, the launch event stream is live too - share it!"),
    ("live cable and tap", "Electrician says the cable in the kitchen is live, don't touch the tap near it."),
    ("biology homework", "Biology homework: label the parts of the cell and explain what the nucleus does by "
     "Friday."),
    ("bake off judge", "The judge on Bake Off was brutal, she's going to deny him star baker again lol"),
    ("budget speech", "The Chancellor's Budget speech is on Wednesday at 12:30, the red book gets published "
     "straight after."),
    ("film nominee", "The nominee for best actor is announced Tuesday - so excited!"),
    ("h5n1 news", "CNN: the first human case of H5N1 in Texas was confirmed by the CDC today."),
    ("sandwich sub", "Our sub (the sandwich) is on the table, come get it before the meeting."),
    ("mod annual report", "The MoD published its annual report today: fleet availability improved and two "
     "frigates returned to service."),
    ("board results published", "Reminder: the promotion board results were published on the intranet this "
     "morning, congratulations to all."),
    ("fed cut announced", "The Fed announced a 25bp cut today and the chair's statement was released at 2pm."),
    ("cambridge five", "Reading about the Cambridge Five - their handlers met them in London parks for years."),
    ("office chairs", "We're buying the new office chairs next week, IT will announce the desk moves Monday."),
    ("lock rekey", "The company's rekey of the office locks happens Monday, collect your new keys from reception."),
    ("tribunal decision published", "Tribunal decision published today: the panel found the dismissal unfair."),
    ("golf rounds", "Our rounds at the golf club start Saturday 7am, tee times are on the board."),
    ("threat level announced", "The threat level was raised to critical yesterday, the Home Secretary "
     "announced it on the news."),
    ("fantasy football", "Our fantasy football deck is stacked for Saturday, 14 points from the two strikers."),
    ("parcels on the grid", "Open day at the sorting office: the parcels are on the grid for Tuesday delivery."),
    ("spy drama finale", "Season finale tonight: the spy drama ends with the knock on the door at 5am."),
    ("bake-off trophy", "Our nurse team won the hospital bake-off! Room 14 has the trophy now."),
    ("job ad salary", "Job ad: salary 92k plus bonus, apply by Friday. Please share widely."),
    ("public price list", "Acme's public price list says $42 a seat for the pro plan."),
    ("declassified war plan", "The 1983 war plan for Europe was declassified last year - the troop movement "
     "annex is on the National Archives website."),
    ("jury duty", "Jury duty this week, hoping for something interesting! Court starts at 10."),
    ("visit covered live", "The PM flew to Kyiv last night, the BBC has live coverage of the visit."),
    ("fed holds published", "Fed holds rates, dot plot shows two fewer cuts; statement came out at 2pm."),
    ("everyday 1", "Thanks to the OP for the tip - the op worked, my sourdough rose overnight."),
    ("everyday 2", "Big push this week to close the quarter, surge in sales expected. Wheels up for Denver at 6."),
    ("everyday 3", "The school convoy of buses heads to the coast tomorrow, escort by two teachers, arrive by 10."),
    ("everyday 4", "Our sub is sitting off the counter, come grab a slice. It heads to the bin at 5."),
    ("everyday 5", "The cell in B4 of the spreadsheet is locked, you're on the list of editors now."),
    ("everyday 6", "Gym class: the obs course is Thursday 6am, the lift team meets first."),
    ("everyday 7", "Writing class: the prompts for May are locked, pick one and write 500 words."),
    ("everyday 8", "Car insurance: the renewal is due; I can go down to 300 if they threaten to walk, said "
     "the broker on the radio."),
    ("everyday 9", "Our baby has no idea what's coming - new sibling due in March!"),
    ("everyday 10", "TSMC is building two new fabs in Arizona, Reuters reports."),
    ("everyday 11", "The new bird at the zoo drifts to the far side of the cage every afternoon."),
    ("everyday 12", "Press pool photos from the charity gala are on Flickr."),
    ("everyday 13", "Jury duty: the jury was sent home early today. Juror parking is free."),
    ("everyday 14", "Board staff lunch is on Friday, the dot plot of our survey results shifts down a bit."),
    ("everyday 15", "Decoys, chaff and flares: a fun history video about WW2 air combat."),
    ("everyday 16", "The guidance counselor can't see students after 3pm; our rounds at the hospital start at 8."),
    ("everyday 17", "Game night! The rounds start at 7, the seeker in hide and seek gets a prize."),
    ("everyday 18", "The new SSN documentary on the Navy's submarines airs Sunday at 8pm on PBS."),
    ("everyday 19", "Wi-Fi knocks out every time the microwave is on, the router can't see the laptop."),
    ("everyday 20", "Open line radio show tonight: callers discuss the local election."),
    ("everyday 21", "The tap on the kitchen sink went live again - plumber comes Tuesday."),
    ("everyday 22", "The arg in the function is a string, don't pass an int."),
    ("everyday 23", "The recipe is on the shared drive, just DM me if you can't find it."),
    ("everyday 24", "The promotion results were announced at the all-hands; congratulations!"),
    ("everyday 25", "Live stream: the jury in the Smith trial found him guilty, 12-0 for conviction."),
    ("everyday 26", "Netflix: the spy thriller's season two drops Friday, the cast is on the list of guests."),
    ("everyday 27", "The council will hold a public consultation on the reservoir path until it's out of use."),
    ("everyday 28", "My landlord has no idea the boiler is broken; I'll tell him Monday."),
    ("everyday 29", "The Fed's dot plot was published today alongside the statement at 2pm."),
    ("everyday 30", "Our team is leaning towards a 50bp stretch goal for the KPI this quarter."),
    ("everyday more 1", "Rewatching The Wire - the takedown scene in season 1 is classic."),
    ("everyday more 2", "The swim meet is Saturday at 8, handler only for the dogs at the show."),
    ("everyday more 3", "Our shipment moves through the Elkhart warehouse Tuesday - tracking number ends in 4471."),
    ("everyday more 4", "News: police made 12 arrests in a county lines takedown last week, the BBC reports."),
    ("everyday more 5", "The MPC meets next week; markets expect a hold, analysts say."),
    ("everyday more 6", "FOMC preview: economists think the Fed is leaning towards a cut in September."),
    ("everyday more 7", "Our ambassador program for students: their president will speak at the dinner."),
    ("everyday more 8", "The Integrated Review was published today, with a chapter on the successor programme."),
    ("everyday more 9", "Hull life extension for the ferry fleet was approved by the council."),
    ("everyday more 10", "Our private read of the novel: the ending won't survive the sequel."),
    ("everyday more 11", "The SAT test form changes next year, practice questions are on the College Board site."),
    ("everyday more 12", "Reminder: printer gets jammed on Fridays, send your PDFs early."),
    ("everyday more 13", "Key change for the office front door is Monday; collect the new key from reception "
     "by hand."),
    ("everyday more 14", "The ward's new isolation signs are up; please wash your hands."),
    ("everyday more 15", "ONS figures out today show GDP grew 0.3% in Q2, ministers welcomed the data."),
    ("everyday more 16", "Payrolls rose 200k last month according to the BLS release this morning."),
    ("everyday more 17", "Reshuffle: the PM announced the new cabinet this afternoon, full list on gov.uk."),
    ("everyday more 18", "Promo list for the Black Friday sale is ready, prices drop Friday at 8."),
    ("everyday more 19", "Pricing engine demo at the conference: our private repo is now open source!"),
    ("everyday more 20", "The cathode slurry recipe paper is published in Nature Energy, open access."),
    ("everyday more 21", "The panel met after the talk and the chair thanked everyone."),
    ("everyday more 22", "Our guy in the IT department fixed the printer, only you, me and Bob know the trick."),
    ("everyday more 23", "NC3 modernisation is discussed in the public budget request, see the DoD website."),
    ("everyday more 24", "Faslane protest on Saturday, bring banners; the boat trip leaves from the pier at 10."),
    ("everyday more 25", "The 1990s deterrent patrol logs were released to the National Archives."),
    ("everyday more 26", "Two DDGs visited Portsmouth for the navy open weekend, tours Saturday."),
    ("everyday more 28", "Our red line for the office party budget stays at \u00a320 per head, don't go below!"),
    ("everyday more 30", "Chemistry paper results are out, well done everyone who sat it."),
    ("spelling bee", "Miss Jones's class won the spelling bee! Mr. Smith's class came second."),
    ("read in on seating", "Anyone read in on the new office seating plan? Asking for a friend."),
]

SECRET += MORE_SECRET
PUBLIC += MORE_PUBLIC


@pytest.mark.parametrize(("name", "band", "item", "text"), SECRET, ids=[row[0] for row in SECRET])
def test_informal_secret_message_is_graded_in_band(name: str, band: tuple[int, int], item: str, text: str) -> None:
    s = _suggest(text)
    lo, hi = band
    assert lo <= s.level <= hi, (name, s.level, s.rationale)
    fired = {m.item.id for m in s.scope_matches if m.tier == "window"}
    assert item in fired, (name, sorted(fired), s.rationale)


@pytest.mark.parametrize(("name", "text"), PUBLIC, ids=[row[0] for row in PUBLIC])
def test_informal_public_message_stays_public(name: str, text: str) -> None:
    s = _suggest(text)
    assert s.level == 0, (name, s.level, s.rationale)
