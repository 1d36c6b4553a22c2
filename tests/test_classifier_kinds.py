"""Kinds of draft the secrecy scopes must recognise in words of their own.

Each draft below is short and written for the test, in other words than the evaluation drafts:
it stands for a kind (an orbit manoeuvre plan, a bank resolution weekend, a customer account
review ...), and the band is what the rules make of that kind. A change that only fits one
evaluation draft fails here.
"""

from __future__ import annotations

import functools

import pytest
from mijian.classifiers import classify as _classify
from mijian.pipeline.model import Document

# These cases pin the rules (steps 1-5 of the policy) on their own; the suggestion that
# weighs them with the second reader is measured on the eval splits (tests/test_second_reading.py).
classify = functools.partial(_classify, second_reader=False)


def _suggest(text: str, language: str):
    return classify(Document(source="t.txt", sha256="0" * 64, kind="txt", language=language, text=text))


KINDS = [
    # (name, language, band, the item that must decide or None, draft)
    ("orbit manoeuvre", "en", (3, 4), "cn-space-01", """Mission planning note
Station-keeping for the imaging satellite: current orbit altitude 498 km, inclination 97.6 deg.
A retrograde burn of 0.4 m/s on 2 May moves the ground track so that revisits over the harbour occur daily."""),
    ("signals access", "en", (3, 4), None, """Programme status
The implant on the carrier's backbone router gives passive access to roaming traffic; 212 selectors are tasked,
including the interior minister's numbers. The access point will be lost when the vendor swaps the router."""),
    ("source handling", "zh", (4, 4), "cn-security-01", """关于“白杨”情况的报告
“白杨”（真实姓名：周某，某国领事馆雇员）自2022年建立关系以来提供情况三十余份。
下步改用第二联络方案，暂停当面接头，活动经费按月现金支付，由三处单线联系。"""),
    ("counter-espionage case", "zh", (3, 4), None, """关于“3·12”案下步工作的方案
经查，某国情报机关人员以学术交流名义接触我某研究院工程师，获取导弹试验资料。
拟对其手机实施技术侦察，入境后全程跟踪，视情于交接时实施抓捕。"""),
    ("bank resolution", "en", (3, 3), None, """Resolution weekend plan - draft
If the mutual cannot restore its liquidity buffer by Saturday noon, the authority will use its stabilisation powers
and transfer all deposits to a buyer. Announcement before branches open on Monday; staff involved must not trade."""),
    ("central bank facility", "en", (3, 3), "cn-finance-01", """Board memo - emergency funding facility
Staff propose a new term funding facility for smaller lenders at the policy rate plus 15 basis points,
for announcement on Sunday evening before Asian markets open."""),
    ("geodetic survey of missile sites", "en", (2, 3), None, """Survey results - launch facility resurvey
Launch facility D-09: 46 58 12.4431 N, 104 22 07.9912 W, ellipsoidal height 1,104.22 m.
Geodetic azimuth to the alignment reference mark determined to 0.6 arc-second for guidance alignment."""),
    ("appointment before announcement", "en", (2, 2), None, """Note for the Minister
The selection panel recommends Ms Ana Ruiz for appointment as chief executive of the agency.
The unsuccessful candidate will not be told until she has accepted. Announcement planned for 3 March."""),
    ("negotiation ceiling", "en", (2, 3), None, """Submission: support package for the car plant
Recommendation: that you agree to offer up to GBP 120 million. Our assessment is that the company will accept GBP 90 million;
please do not raise the ceiling in Thursday's call. The devolved government is not yet aware of the figure."""),
    ("community tension", "en", (2, 2), "cn-ethrel-01", """Community tension assessment
Tension level raised to HIGH after rumours about the new asylum hostel. Intelligence suggests a protest on Saturday;
vulnerable locations include the synagogue on King Street and the mosque on Hill Road."""),
    ("customer accounts", "en", (2, 2), None, """Key accounts review - Northern region
1. Baxter Foods - USD 4.2M; net price USD 2.10/kg against list 2.80; contract ends 31 March; churn risk HIGH.
2. Orrin Dairy - USD 3.0M; volume rebate 3%; renews June. Do not share outside the sales team."""),
    ("non-national exam paper", "en", (2, 3), "cn-exam-01", """Licensing examination - final paper for sign-off
Attached are the essay questions and grading guides for the 14 November administration.
Question 2 (Contracts): the seller repudiates before delivery. Grading guide: 10 points. Printing begins 1 November."""),
    ("national entrance exam paper", "zh", (4, 4), "cn-exam-01", """2026年普通高校招生全国统一考试 物理试题及参考答案（6月8日启用）
一、选择题：本题共8小题，每小题6分。
第1题 一物体从静止开始做匀加速直线运动……参考答案：C
第2题 如图所示，质量为m的小球……参考答案：B"""),
    ("trading code", "en", (3, 4), "cn-commercial-04", """// desk/momentum/core.py - production parameters fitted on 2018-2024
// key insight: only trade when both volume and spread confirm; do not revert
def entry_signal(bar): return bar.z > 1.85 and bar.volume_ratio > 1.4"""),
    ("scoring code review", "zh", (3, 4), "cn-commercial-04", """代码评审记录
模块：风控评分引擎 核心代码
评审意见：权重由回溯确定，勿随意修改；拒绝阈值0.66为核心策略，禁止在日志中打印，仓库仅限核心组访问。"""),
    ("know-how with parameters", "en", (3, 4), "cn-commercial-05", """Process record - adhesive batch
Synthesis: dissolve 400 g of resin in toluene at 12 per cent w/v; add 0.2 per cent catalyst; hold at 65 C for 6 h.
Critical: keep pH above 8.1; molar ratio 1:2.4, otherwise the bond strength falls."""),
    ("know-how named, not given", "zh", (2, 2), "cn-commercial-05", """关于新型涂料中试情况的报告
中试良品率达到91%，附着力较上代提升12%。关键工艺和配方比例属于技术秘密，仅限项目组掌握。"""),
    ("witness under a code name", "en", (1, 2), None, """Case memo
A cooperating witness (W-2) recorded two meetings with the contractor about kickbacks. Subjects are unaware
of the investigation. Next steps: interview the bookkeeper; seek phone records."""),
    ("release planned in a sentence", "en", (3, 3), None, """Rescue plan for the failing insurer
The regulator will use its resolution powers on Sunday and transfer the policies to a buyer under a capital injection.
Announcements at 06:30 Monday before markets open: regulator statement, ministry statement and the buyer's press release."""),
    ("statistics due for publication", "en", (2, 2), "cn-stats-01", """Pre-release access
Consumer price figures for June, due for publication at 07:00 on 16 July: annual inflation 2.9 per cent.
Under embargo until release; recipients must not disclose or act on them."""),
    ("layoff list", "zh", (1, 2), None, """关于部分员工解除劳动合同的安排
下列人员拟于下月解除劳动合同：
赵磊，生产部，2013年入职，病休中
孙莉，质检部，2017年入职
周鹏，仓储部，2011年入职，工伤停工
吴静，行政部，2019年入职，孕期
郑浩，研发部，2021年入职
沟通前不得公开。"""),
    ("patient line list", "en", (1, 2), None, """Outbreak line list
Case | Name | Date of birth | Onset | Status
1 | Harold Vine | 03/02/1941 | 02/07 | ICU
2 | Bella Marsh | 19/08/1967 | 04/07 | ward
3 | Colin Pratt | 11/11/1952 | 05/07 | discharged
4 | Dina Sowerby | 27/01/1988 | 05/07 | ward
5 | Ewan Tully | 08/06/1944 | 06/07 | died 09/07"""),
    ("warhead movement", "en", (3, 3), "cn-nuclear-03", """Movement order
A road convoy with two warhead containers departs the depot at 23:00 on 4 April; route via the A1 with an overnight halt.
Escort: 14 police officers in four vehicles."""),
    ("key changeover", "zh", (4, 4), "cn-crypto-01", """核心密码设备密钥更换通知
新密钥由专人直送各省机要局，统一启用时间为1月1日零时，旧密钥同时失效；过渡期如不能同步，启用应急密钥表第5组。
涉及核心密码通信网密码机320台。"""),
    ("new district before approval", "zh", (2, 3), None, """关于设立临港新区的专题会议纪要
会议同意以沿江三镇为主体规划建设临港新区，起步区选址东滩。国务院批复前，新区名称和范围不得对外披露；
规划范围内暂停土地出让，对外以规划修编为由。"""),
    ("law enforcement sensitive", "en", (1, 2), None, """LAW ENFORCEMENT SENSITIVE

Weekly squad summary: two burglary series under review; the stolen-goods lead from the pawn shop is being followed."""),
    ("weapon stocks", "en", (3, 4), None, """Programme review
Stocks of plague and botulinum strains are held in freezer room 2; 30 vials each.
The aerosol challenge study reached the planned dose. Results are not for publication."""),
    ("company price list", "zh", (2, 2), "cn-commercial-02", """2026年经销商价格政策（内部）
B系列出厂价上调3%，经销商返利由4%降至3.5%，大客户最低折扣为九折。本政策对外发布前仅限销售部门掌握。"""),
    ("draft work plan", "zh", (1, 1), None, """2026年度考勤管理办法（征求意见稿）
一、适用于机关全体工作人员。二、迟到三次计旷工半天。本办法尚未定稿，仅供内部讨论。"""),
    ("past exam paper", "zh", (0, 1), None, """2018年高考语文试题及答案（公开发布）
本套试题已于考试结束后由省教育考试院公开发布，供考生复习参考。第1题 下列词语中加点字读音正确的一项是……答案：C"""),
    ("lecture on deterrence", "en", (0, 0), None, """Lecture notes: deterrence after the Cold War
This week: second-strike forces, ballistic missile submarines and continuous at-sea patrols. See the reading list."""),
    ("history talk", "en", (0, 0), None, """Local history talk
The first thermonuclear device was tested in 1957 with a yield of about 1.8 megatons.
The talk draws on declassified files at the national archives."""),
    ("recruitment notice", "en", (0, 0), None, """Job advertisement: analyst
We are recruiting an analyst to work with classified material; applicants must be eligible for clearance. Apply by 1 May."""),
    ("private remarks in a cable", "zh", (3, 3), "cn-foreign-02", """驻某国使馆来电
某国总理在与我大使的私下交谈中表示，其内阁实际上已决定推迟批准该协定，外长可能在月底去职。该谈话内容请勿对外引用。"""),
    ("cabinet committee paper", "en", (2, 3), None, """Cabinet committee paper (draft)
The Secretary of State proposes to raise the state pension age to 68 from 2035. Not yet agreed by colleagues;
the announcement is scheduled for the autumn statement. Do not share outside the committee."""),
    ("published recipe", "en", (0, 0), None, """Family bread recipe
Dissolve 7 g of yeast in 300 ml of warm water, add 500 g of flour and a pinch of salt; knead and bake at 220 C for 30 minutes."""),
    ("metro works report", "zh", (0, 1), None, """轨道交通建设进度周报
本周完成隧道掘进1.2公里，轨道铺设0.8公里。下周完成车站主体结构施工。"""),
    ("inspection leads to hand over", "zh", (2, 3), "cn-audit-02", """市委第一巡察组关于巡察区卫健委情况的汇报
巡察组共发现问题线索6件，其中涉及处级干部2件（医保中心主任某某、某医院院长某某），拟移交市纪委监委处理。"""),
    ("security education campaign", "zh", (0, 0), None, """全民国家安全教育日社区宣传活动方案
一、时间：4月15日上午。二、内容：设置宣传展板，介绍反间谍法和保守国家秘密法；开展有奖问答，发放宣传折页500份。"""),
    ("satellite launch news", "en", (0, 0), None, """Science desk
The space agency launched a weather satellite on Monday into an orbit at about 830 km altitude; its imager has
1 km resolution and will serve forecasters across the region, the agency said in a statement."""),
    ("partner-service information", "en", (2, 3), None, """Liaison note
The partner service passed the attached assessment on condition that it is not shared beyond our agency;
it names two couriers moving money for the network."""),
    ("covert action funding", "en", (3, 4), None, """Budget annex
Covert action finding 3: USD 9 million to support independent radio in Country Z through cut-out companies.
Deniability must be preserved; there is to be no acknowledgement of our role."""),
    ("continuity relocation", "en", (3, 4), None, """Continuity plan annex B
On activation, ministers relocate to the alternate site in the hills; the convoy leaves every hour. Access codes are held by the duty officer."""),
    ("source report", "en", (4, 4), None, """Source report
Source MAPLE, a deputy to the interior minister (true name in compartment), reported that troops will mass at the border next month.
Meetings take place in a safe house; the source is paid monthly."""),
    ("drill notice with liaison officers", "zh", (0, 1), None, """关于开展防汛应急演练的通知
各单位联络员：演练定于7月5日举行，请组织本单位人员撤离至集合点，活动经费从工会列支。联络方式见附件。"""),
    ("financial exposure note", "en", (0, 1), None, """Risk note
Our exposure to the asset class rose this quarter; the source of the loss was currency moves. The agent bank will report monthly."""),
    ("enrichment centrifuge", "en", (3, 4), "cn-nuclear-05", """Test memo - gas centrifuge prototype GC-4
Eight machines ran for 2,100 hours without a crash; separative power 38 SWU per machine-year.
Next: a mini-cascade of 24 machines on UF6 feed, product assay 4.9 per cent, tails assay 0.25 per cent."""),
    ("laboratory centrifuge", "zh", (0, 1), None, """检验科离心机操作规程
一、离心前检查转子是否清洁，样本管对称放置。二、血清分离：3000转/分钟离心10分钟。三、使用后登记并清洁。"""),
    ("defence research projects", "zh", (1, 2), "cn-scitech-02", """关于开展国防科研项目年度检查的通知
各学院：在研项目共5项，均须提交年度报告。
1.“某型雷达材料”（负责人 钱某，经费300万元）；
2.“舰船减振结构”（负责人 孙某，经费260万元）。
报告须在涉密计算机上编制。"""),
    ("public funding call", "en", (0, 0), None, """Funding call: sensors for flood warning
Published: 2 May. Closing date: 20 June. Up to GBP 800,000 is available for up to ten projects.
Proposals must not contain classified information. An online supplier briefing is held on 12 May."""),
    ("pre-decisional notes", "en", (1, 1), None, """After-action notes - winter storm response
What went well: shelters opened within six hours. What needs work: fuel deliveries to two counties were late.
These notes are pre-decisional; please do not circulate outside the response division."""),
    ("minutes kept inside", "zh", (1, 1), None, """销售部周例会会议纪要
一、上周回款完成率92%。二、新人培训下周开始。三、展会物料周三前备齐。
本纪要仅在部门内部流转，请勿转发至客户群。"""),
    # a negotiation's reserved position; plans told in a chat before they are announced
    ("fallback kept by the delegation", "zh", (3, 4), "cn-foreign-01", """关于渔业协定续签谈判的意见
对方要求配额提高三成。我方开始只同意增加一成；若对方坚持，可授权团长表示可至两成。
两成为最后底线，仅限团长一人掌握，不向对方透露。"""),
    ("fallback in English", "en", (3, 4), "cn-foreign-01", """Instructions for the delegation - aviation talks
Open by offering four extra weekly frequencies. If the other side insists on seven, the head of delegation is
authorised to signal six. Our bottom line is six; this is known only to the head of delegation."""),
    ("negotiation round reported", "zh", (0, 1), None, """中新社北京10月9日电 中外双方在北京举行第二轮渔业协定谈判。
双方同意在互利基础上继续磋商，下一轮谈判将于明年举行。"""),
    ("appointments told in a note", "zh", (2, 3), "cn-personnel-01", """老周：
市里这轮调整大体定了，赵副局长转任区委副书记，空出来的位置由孙立接。下周一常委会研究。
这事先别跟别人讲。"""),
    ("appointments told in a chat, English", "en", (2, 3), "cn-personnel-01", """Hi Sam - the reshuffle is settled: Priya gets the appointment as
regional director and Tom moves to audit. Please keep it quiet until it's official on Friday."""),
    ("appointments announced", "zh", (0, 1), None, """关于周某某等同志任职的通知
经研究决定：周某某同志任县交通局局长；吴某某同志任县发改局副局长。
特此通知。"""),
    ("reshuffle announced, English", "en", (0, 1), None, """Press release
The Secretary today announced a reshuffle of the leadership team: Priya Shah is appointed regional director
and Tom Reyes moves to head the audit directorate from 1 March."""),
    ("outbreak cases in a work chat", "zh", (1, 2), "cn-health-01", """区疾控应急群
今天学校那边又报了5例麻疹，都是同一个班的，具体名单发邮箱了。先别往外说，等市里通报。"""),
    ("outbreak figures published", "zh", (0, 0), None, """××市卫生健康委员会
2026年10月全市法定传染病疫情概况：报告麻疹病例5例，无死亡。
本概况已在市卫健委网站发布。"""),
    ("land acquisition told early", "zh", (1, 2), None, """老李：
昨天区里会上定了，东湾那片地要征收建物流园，补偿标准每平方米三千。
通知月底才下发，你先别声张，免得有人抢建。"""),
    ("readiness order of a missile unit", "zh", (4, 4), "cn-defence-01", """关于某导弹旅转入战备的命令
一、自即日20时起，第一营、第四营转入一级战备，发射车进入发射阵地，实施预案乙。
二、各营按规定时限完成装填并报告。"""),
    # a live mark scheme, a tax decision before the budget, an intelligence target told in passing
    ("mark scheme before standardisation", "en", (2, 3), "cn-exam-01", """Chemistry Paper 1 - November 2027
Mark scheme for examiner standardization on 2 November
Q1 (a) moles = 0.25 (2 marks)  Q3 (b) ionic bond described (3 marks)"""),
    ("past mark schemes on the website", "en", (0, 0), None, """Revision resources
Past papers and mark schemes from 2019 to 2024 are published on our website for revision."""),
    ("tax decision before the budget", "en", (2, 3), None, """Subject: energy VAT
The Minister has decided to cut the VAT rate on household energy from 20% to 15% on Budget day.
Please keep this out of all briefing before the statement."""),
    ("tax rise before the budget is published", "zh", (2, 3), None, """关于调整成品油消费税的内部意见
财政厅拟上调燃油税每升0.2元，自明年1月1日起执行。预算公布前，请勿在任何会议材料中提及。"""),
    ("tax rise announced", "en", (0, 1), None, """Budget round-up
In her Budget statement yesterday the Chancellor announced that fuel duty rises by 3p a litre from April."""),
    ("intelligence target told in passing", "en", (2, 3), None, """Overheard in the ops room today: the new surveillance platform is
being pointed at the rebel airfield from Monday, round the clock, with the usual collection tasking. Pub later?"""),
    ("surveillance platform for sale", "en", (0, 1), None, """Trade show report
The company unveiled a drone surveillance platform for farmers, with a 40 minute flight time and a thermal camera."""),
    ("declassified cable", "en", (0, 0), None, """Declassified pursuant to E.O. 13526, review of 2018
TOP SECRET (original marking)
Cable from the embassy, 2 June 1975: the ambassador reports that the government will devalue within the week."""),
    ("open day (public)", "en", (0, 0), None, """Air base open day (public)
The base opens to visitors on 5 May; the fighter display begins at 14:00 above runway 09."""),
    ("notes for residents", "en", (0, 0), None, """Community safety meeting
Police and council officers explained the new patrol pattern around the mosque and the two churches on Mill Lane.
These notes may be shared with residents."""),
    ("weekly disease bulletin", "zh", (0, 0), None, """××区疾病预防控制中心 第12周传染病简报
本周全区报告水痘病例12例、流感病例230例，均为散发。请居民注意勤洗手、多通风。
（本周报通过区政府网站公开）"""),
    # a local grid's weak points are 秘密, a wide-area cascade 机密; key tables and a deterrent
    # patrol are 绝密; a leader who agrees an appointment is not a leader's travel
    ("a county grid's weak points", "zh", (1, 2), None, """××县供电公司 迎峰度夏运行方式（内部）
全县110千伏变电站6座，其中南关站为枢纽站，若南关站停运，城区负荷将转由单回线路供电，无备用。"""),
    ("a county grid's weak points, English", "en", (1, 2), "cn-energy-01", """Call notes - county emergency planning
The county relies on two substations, Millbrook 132kV and Eastgate 66kV; Millbrook has no spare transformer.
Please keep this list out of the public resilience plan."""),
    ("a region's cascading outage", "en", (3, 3), "cn-energy-01", """Contingency study - northern interconnector
Losing the Harlow and Brent 400 kV substations together would separate the northern network from the south
and trigger a cascading outage, with about 9 GW of demand disconnected."""),
    ("key table", "en", (4, 4), "cn-crypto-01", """Key table - crypto net BLUE, edition 14
Key group 03: 9A1C 44F2 0B7E D315 - effective 1 March 00:00
Key group 04: 17EE 5C90 A2B4 6D08 - effective 1 April 00:00. Destroy superseded key cards."""),
    ("deterrent patrol", "en", (4, 4), "cn-nuclear-02", """Deterrent patrol report
The ballistic missile submarine is on station in patrol area NORTH-2 at operating depth,
alert posture maintained: launch within 15 minutes of the order."""),
    ("leader agrees an appointment", "en", (1, 2), None, """OFFICIAL-SENSITIVE
The Prime Minister has agreed that Dame Ruth Cole will be appointed chair of the regulator from 1 May.
The outgoing chair has not yet been told; the announcement is planned for next week."""),
    # personal data without identifiers: named people with diagnoses, pay or discipline, in a
    # chat, a handover list or a decision; a published exposure of discipline cases stays public
    ("ward chat with named patients", "zh", (1, 2), None, """普外科值班群
张医生：3床赵国华今天术后第一天，体温38.5；7床孙丽化疗第二周期，白细胞偏低，注意隔离。
护士小吴：好的。"""),
    ("handover list by bed", "en", (1, 2), None, """Night handover - Ward 3
Bed 4: Peter Lang, 72 - dementia, post-op day 2, wandering
Bed 6: Sarah Cole, 29 - overdose, on observation"""),
    ("discipline decision with anonymised names", "zh", (1, 1), None, """××集团 关于对违规人员的处理通报（内部）
经核查，对仓储部周某某给予警告处分，对吴某某给予记过处分并扣发当季绩效。"""),
    ("redundancy shortlist with salaries", "en", (1, 2), None, """Workforce planning - draft
Shortlist for the spring restructure: Sam Ortiz (Engineer, $88k), Lee Park ($91k), both in Denver.
HR to confirm severance terms."""),
    ("published exposure of discipline cases", "zh", (0, 0), None, """××市纪委监委公开曝光2起违反中央八项规定精神问题
1.某局原局长王某某违规收受礼金问题。王某某受到党内严重警告处分。
2.某镇党委副书记李某某违规公款吃喝问题。李某某受到党内警告处分。"""),
    # before a vote: an association's slate is 秘密 at most, a province's leadership 机密 or more;
    # quarterly figures in a trading blackout are a commercial secret, once released they are not
    ("association slate before the vote", "zh", (1, 2), None, """佛教协会换届筹备群
各位：换届大会定于下月十日，会长人选已初步确定为释某某，秘书长人选为刘某。投票前请勿向各寺院透露。"""),
    ("provincial leadership before the vote", "zh", (3, 4), "cn-personnel-03", """关于××省领导班子调整的初步考虑
省长人选拟由邻省常务副省长调任，提名为省长候选人；现任省长到龄后另行安排。以上尚在酝酿中，省人代会选举前不得外传。"""),
    ("quarterly figures in a blackout", "en", (1, 2), None, """#fin-close
Revenue for the half came in at $640M, EPS $0.33 versus consensus $0.41. We are in blackout until the call on 9 May;
nobody trades."""),
    ("quarterly figures released", "en", (0, 1), None, """Press release
Northwind Corp today reported quarterly results: revenue of $640 million and EPS of $0.33.
The company will host an earnings call at 5pm, available by webcast."""),
    # a control marking after UNCLASSIFIED// is the draft's own; a tier being explained is not
    ("controlled but unclassified banner", "en", (1, 1), None, """UNCLASSIFIED//FOR OFFICIAL USE ONLY
Motor pool schedule: 3rd Battalion vehicles are serviced on Tuesday; drivers collect keys from the duty officer."""),
    ("tiers explained to staff", "en", (0, 1), None, """Induction notes for new staff
The SECRET tier is for information whose loss would seriously damage defence, while the OFFICIAL tier covers routine work.
Ask your line manager if unsure."""),
    # a person identified in a counter-radicalisation case; the duty explained to schools is public
    ("radicalisation case about a young person", "en", (1, 2), None, """Channel panel - case review
Subject: J.K., aged 16, college student. Concerns: viewing extremist material and contact with a radicaliser online.
Actions: mentor assigned; police to monitor; review in six weeks."""),
    ("prevent duty guidance", "en", (0, 1), None, """Guidance for schools
Staff should pass any concern about radicalisation to the designated safeguarding lead, who may make a Prevent referral.
This guidance is published on the council website."""),
    # the shape of a draft: a bare grade line is its marking; a dateline, a publication note,
    # a rule's articles or a notice's title say it is public
    ("bare grade line", "zh", (3, 3), None, """机密
关于调整二季度设备采购计划的意见
一、办公设备采购推迟至七月。二、车辆更新按原计划执行。"""),
    ("grades listed one a line", "zh", (0, 1), None, """国家秘密的密级分为
绝密
机密
秘密
三级，应当根据泄露后可能造成的损害程度确定。"""),
    ("grade word in a sentence at the foot", "zh", (0, 1), None, """食堂下周菜单
周一：米饭、青菜、红烧肉。周二：面条。周三：饺子。
秘密载体请勿带入食堂。"""),
    ("agency news item about a leak", "en", (0, 0), None, """BEIJING, Nov 28 (Reuters) - A court jailed a former engineer
for passing classified design documents to a foreign intelligence service, the national security ministry said."""),
    ("wire report in Chinese", "zh", (0, 0), None, """中新社上海11月30日电 某地法院日前公开审理一起为境外刺探、非法提供国家秘密案，
被告人将其掌握的涉密资料通过网络出售给境外人员，获刑十年。"""),
    ("published water quality bulletin", "zh", (0, 0), None, """××市供水水质月报（2026年10月）
××水库取水口 库水位 86.2米，浊度 0.3 NTU，余氯 0.45 mg/L，合格率100%。
本月报已在市水务局官网公布。"""),
    ("published reservoir bulletin", "en", (0, 0), None, """Weekly reservoir levels
Upper Glen reservoir stood at 74.3 m, 2.1 m below spill level; outflow 18 cubic metres per second.
This bulletin is published on the water authority's website every Monday."""),
    ("rule on handling records", "zh", (0, 0), None, """××市档案馆利用管理办法（节选）
第十二条 涉及国家秘密的档案，未经批准不得对外提供利用。
第十三条 利用者摘抄的内容在档案开放前不得公开发表。"""),
    ("notice of selection results", "zh", (0, 0), None, """中共××县委组织部
关于拟提拔任用干部考察对象的公示
经民主推荐、考察，拟将下列同志作为提拔考察对象：赵某（县交通局）、钱某（县水利局）。
公示时间为5个工作日。"""),
]


@pytest.mark.parametrize("name,language,band,item,text", KINDS, ids=[k[0] for k in KINDS])
def test_each_kind_falls_in_its_band(name: str, language: str, band: tuple[int, int], item: str | None,
                                     text: str) -> None:
    s = _suggest(text, language)
    assert band[0] <= s.level <= band[1], "\n".join(s.rationale)
    if item is not None:
        assert s.scope_item == item, "\n".join(s.rationale)


def test_an_english_rationale_cites_the_english_provenance() -> None:
    s = _suggest(KINDS[12][4], "zh").in_language("en")
    assert s.scope_item == "cn-exam-01"
    line = next(r for r in s.rationale if "cn-exam-01" in r)
    assert "Source: Rules on state secrets in education work" in line and "教育" not in line
    assert "教育工作" in next(r for r in s.in_language("zh").rationale if "cn-exam-01" in r)


def test_subject_words_alone_reach_no_further_than_their_category() -> None:
    # A company report naming deals in general words, with no sign that any is unannounced.
    s = _suggest("""第一季度经营情况
公司本季度推进上市后的再融资工作，完成对两家子公司的收购，并研究定向增发的可行性。""", "zh")
    assert s.level <= 2, "\n".join(s.rationale)


def test_chat_forms_of_not_yet_are_timing_and_ordinary_phrases_are_not() -> None:
    from mijian.classifiers.details import generic_conditions

    def timing(text: str) -> list[str]:
        return [t for _a, _b, t in generic_conditions(text, 0, len(text), "timing")]

    for said in ("名单你先别往外说", "这事暂时不要跟家里讲", "等市里统一通报", "批复下周才下发",
                 "please don't mention it to the team yet", "keep it quiet until it's official"):
        assert timing(said), said
    for plain in ("这还不能说明问题", "暂不能提高收费标准", "还不能传达到基层", "we don't say that in reports"):
        assert not timing(plain), plain
