"""Everyday Chinese messages about the society and economy sectors of the secrecy scopes.

Chats, voice-message transcripts and notes say 卷子 and 作文题, 降准0.5 and 下周四宣布, 主变跳了 and
全黑, 优化名单 and 孕期员工, not the official words of the scope rules. Each draft below is short,
written for the test in its own words, and stands for a kind of message (an exam paper before it
is sat, a monetary decision before it is announced, a grid weak point, a patient's diagnosis ...);
the band is what the rules make of that kind, and where one item of the catalogue should decide,
its id is given. The public drafts talk about the same subjects in a news chat, a notice or a
published result and must stay low.
"""

from __future__ import annotations

import pytest
from mijian.classifiers import classify
from mijian.pipeline.model import Document


def _suggest(text: str):
    return classify(Document(source="t.txt", sha256="0" * 64, kind="txt", language="zh", text=text))


SECRET = [
    # (kind, band, the item that must decide or None, draft)
    ("exam: provincial mock paper sent to print", (3, 4), "cn-exam-01",
     "王老师：这次全省联考的英语试题今晚送印，完形填空第3小题答案改成了D，开考前原稿锁在保密室，别拍照。"),
    ("exam: gaokao math questions leaked in chat", (4, 4), "cn-exam-01",
     "【微信】老同学，今年高考数学全国卷的题目我这边定了，压轴题是导数那道，选择题第5题答案为B，6月7号开考前你千万别外传，命题组的人都签了协议。"),
    ("exam: licence exam essay chosen", (3, 4), "cn-exam-01",
     "刘科：下月司法考试的主观题题目已经定稿了，第二题是合同纠纷案例，评分细则周五印制。这个别转给培训机构的朋友。"),
    ("monetary: rate cut tomorrow", (3, 3), "cn-finance-01",
     "张姐，行里刚开完会，LPR 这次下调10个基点，明天早上九点公布，交易台那边先别说，按新利率把测算做出来。"),
    ("monetary: RRR before announcement", (3, 3), "cn-finance-01",
     "【语音转文字】喂，那个降准的事定了，下调0.25个点，周五晚上宣布，你今晚把流动性测算改一下，别外传。"),
    ("fiscal: tax change before approval", (2, 3), "cn-finance-03",
     "处里消息：燃油税拟上调每升0.2元，两会前不对外，测算表你先别发给研究所。"),
    ("planning: metro line before the standing committee", (1, 2), "cn-econ-03",
     "小周：新一轮重大项目清单里，东站片区那条轻轨的线路走向改到沿河了，站点位置还没上会，先别跟开发商那边透风，免得有人提前囤地。"),
    ("decision: county merged into city before announcement", (3, 3), "cn-econ-01",
     "【钉钉】老王：撤县设区的方案省里原则同意了，下个月中旬官宣，两个县的班子暂时不动，现在知道的人很少，材料标题先别写撤并。"),
    ("outbreak: cluster not yet reported", (2, 3), "cn-health-01",
     "疾控群：三中又有12个学生发烧，核酸阳性5个，疑似诺如，对外口径先统一成肠胃不适，等市里专家组看完再报。"),
    ("grid: single line after transformer trip", (2, 2), "cn-energy-01",
     "值班记录：2号主变下午跳闸，原因待查，西区现在只剩一条110的线供电，这条线再出事就全停了，情况先报公司，别跟用户解释原因。"),
    ("grid: control system intrusion not fixed", (3, 3), "cn-energy-03",
     "陈工：渗透测试里外包团队从办公网打进了调度自动化主站，拿到了遥控权限，能远程拉闸。补丁还没打，厂家要排期，报告只发给您。"),
    ("survey: control points near a military airport", (2, 3), None,
     "小宋：这批控制点成果里有四个点挨着军用机场跑道，精确坐标别放到项目群里，单独打包交给档案室。"),
    ("religious: gathering at a church, press kept out", (2, 3), "cn-ethrel-01",
     "民宗局群：城南那个家庭教会周日又聚了两百多人，带头的是从外省来的两个人，名单我私发你，先别让记者知道。"),
    ("religious: reincarnation candidates discussed", (2, 3), "cn-ethrel-02",
     "统战部小扎西：转世灵童寻访的三个候选儿童的情况，周三上会讨论，里面有家里和境外亲属的信息，材料别复印。"),
    ("patient: named diagnosis", (1, 2), None,
     "护士站：12床的陈某某查出乙肝大三阳，病人不让告诉单位，交班时小声点。"),
    ("redundancy: list with pregnant staff", (1, 2), None,
     "HR：这次裁员名单初稿一共15人，里面有一个哺乳期员工和一个工伤的，名单确定前别跟部门负责人说。"),
    ("know-how: parameter table in the internal repo", (1, 2), "cn-commercial-05",
     "【企业微信】研发群：电机控制的标定参数表我放到内网git了，别同步到外面的github镜像，客户只给二进制。"),
    ("drill: script kept from participants", (1, 1), "cn-work-05",
     "应急办：周四的防汛实战演练脚本和情景设置在附件，各参演单位先不通知，演练前一天再发。"),
    ("research: result before patent filing", (1, 1), "cn-work-06",
     "课题组：新电池的循环测试数据出来了，2000次后容量还有92%，专利还没申请，论文先别投，数据别发到大群。"),
    ("planning draft: internal comment version", (1, 1), "cn-work-01",
     "规划处：这次交通规划的征求意见稿是内部稿，每人写两条意见，别往外传，纸质版看完交回。"),
    ("statistics: figure before release", (2, 3), "cn-stats-01",
     "【语音转文字】小李，统计局那边季度GDP增速的数我拿到了，4.6，比市场预期低一点，还没公布，你先按这个数把材料改了，别发给任何人。"),
    ("dam: seepage kept from downstream", (1, 2), "cn-water-01",
     "水库管理所：3号坝段背水坡又出了两处湿斑，测压管读数比上周高了一截，这个先内部掌握，别跟下游乡镇说。"),
    ("flood diversion before the order", (2, 2), "cn-water-03",
     "防汛群：要是明天洪峰过了警戒，可能要启用蓄滞洪区，扒口位置在老河湾，防指还没定，先别通知群众。"),
    ("casualties: real number kept back", (2, 2), "cn-emerg-01",
     "现场指挥部：矿上遇难人数现在是11个，对外只说6个，等省里核实了再报，这个数先别对外。"),
    ("deal: takeover before the notice", (3, 3), "cn-commercial-06",
     "老板刚说了，我们要被收购，对方是同行业的上市公司，下月初公告，尽调已经开始，这期间别买股票，也别跟家里人说。"),
    ("salary: one person's pay", (1, 1), "cn-personal-04",
     "HR小王：王磊今年的年终奖是8万，税前，比部门平均高不少，你核一下发我。"),
    ("meeting: what was said at the party group", (1, 1), "cn-work-02",
     "老张：今天党组会上定了，明年的编制先不加，两个副处长对这个有意见，会上吵得挺凶，别往外说。"),
    ("bid: price before opening", (1, 2), "cn-commercial-01",
     "陈经理：这次的投标价最终定在1,280万，比对手那边估计低5%左右，报价单周五下午封标，别让对手知道我们的数。"),
    ("customer list sent out", (1, 2), "cn-commercial-03",
     "【企业微信】销售：把华南区客户明细拉一份给我，带联系人电话和去年采购额，别发外部邮箱。"),
    ("decision: ministry restructuring before it is public", (3, 3), "cn-econ-01",
     "处长：机构改革方案中央原则同意了，我们局要和隔壁局合并，节后宣布，现在只有几个人知道，处里先别议论。"),
    ("planning: station siting kept from developers", (1, 2), "cn-econ-03",
     "规划院群：高铁站选址基本定在北边那块，还没上会，先别给区里，防止有人提前囤地。"),
    ("drafts: internal version of a regulation", (1, 1), "cn-work-01",
     "法规科：管理办法的内部稿发大家邮箱了，跟网上挂的那版不一样，别往外传，打印件看完交回。"),
    ("outbreak: school cluster held back", (2, 3), "cn-health-01",
     "区疾控：实验小学聚集性疫情今天又加了8例，口头报了市里，对外口径先不动，等专家组意见出来再说。"),
    ("grid: only one line left", (2, 2), "cn-energy-01",
     "调度员：北区220千伏变电站一台主变检修，另一台下午跳闸，现在全区就一条线撑着，再出问题就全黑，先报公司领导。"),
    ("plant: DCS intrusion not fixed", (3, 3), "cn-energy-03",
     "信息部：这次护网演练，攻击队打穿了电厂的dcs系统，拿到了控制权限，可以直接改设定值，漏洞还没补，报告只给厂长。"),
    ("survey: points beside a barracks", (2, 3), "cn-survey-01",
     "测绘队：二标段有三个控制点在部队驻地围墙外，精确坐标和高程单独刻盘，别放项目共享盘。"),
    ("religious: temple gathering with organisers", (2, 3), "cn-ethrel-01",
     "宗教科：寺庙门口今天又聚了三十多个信众，为首的是两个外地来的人，公安在外围，这事先压住。"),
    ("religious: succession candidates before the meeting", (2, 3), "cn-ethrel-02",
     "民宗局小李：活佛转世认定的候选人材料下周上会讨论，里面有家庭情况和境外联系人，先收着，别外传。"),
    ("patient: HIV status at the ward", (1, 2), None,
     "值班医生：9床的王某某检查结果hiv阳性，病人要求不告诉家属，查房时别当着陪护说。"),
    ("redundancy: list before the talks", (1, 2), None,
     "人力部：被优化的人员名单初稿出来了，有两个孕期员工，名单确定前不要跟部门领导透露。"),
    ("know-how: tuning table not to leave", (1, 2), "cn-commercial-05",
     "研发：发动机控制器的标定参数表只放内网git，不出门，别传到外网盘。"),
    ("drill: no-notice exercise", (1, 1), "cn-work-05",
     "安监科：下周三的无脚本演练情景设置在附件，先不通知各车间，演练前一天再发。"),
    ("research: data before submission", (1, 1), "cn-work-06",
     "导师：这批实验数据先别往外说，专利还没报，论文也还没投，别发朋友圈。"),
    ("statistics: retail sales before Friday", (2, 3), "cn-stats-01",
     "刚从统计局拿到的，上个月社零同比增长2.1%，周五才发，先别往外说，写稿子用。"),
    ("monetary: rate hike settled at the meeting", (3, 3), "cn-finance-01",
     "听行里说下个月要加息25个点，议息会上基本定了，还没公布，别跟客户讲。"),
    ("fiscal: budget cut before the congress", (2, 3), "cn-finance-03",
     "明年的预算草案里教育支出砍了8%，人大还没审，别跟学校那边说。"),
    ("prices: water tariff before the hearing", (2, 3), "cn-econ-02",
     "市里打算明年把水价上调两毛，听证会还没开，先别对外说。"),
    ("planning: zone extension before notice", (2, 3), "cn-econ-03",
     "高新区扩区的范围图出来了，往东划进去三个村，还没公示，别让村里知道，免得抢建。"),
    ("survey: large-scale map kept on the intranet", (2, 3), "cn-survey-03",
     "那套1:2000的地形图是涉密的，不能拷给施工方，只能在单位内网电脑上看。"),
    ("dam: crest crack not yet reported", (1, 2), "cn-water-01",
     "大坝坝顶那条裂缝又宽了，监测数据我发你，先别往外说，县里还没报上去。"),
    ("gas: one trunk main for the district", (2, 3), "cn-energy-01",
     "天然气管道那个阀室上个月被挖断过一次，整个城西只有这一条主管，检修期间要是再出事就全城停气，这个情况别对外说。"),
    ("substation: default password on the protection system", (3, 3), "cn-energy-03",
     "渗透测试发现变电站监控系统用的还是默认口令admin，能直接登进去改保护定值，还没整改，报告只发集团。"),
    ("outbreak: kindergarten cases before the line is set", (2, 3), None,
     "县里的手足口病例这周翻倍了，幼儿园有三个班停了，卫健委说先不通报，等市里定口径。"),
    ("casualties: mine toll under-reported", (2, 2), "cn-emerg-01",
     "煤矿那边实际遇难的是9个，上报只报了4个，省里的调查组明天到，这个数你心里有数就行，千万别说出去。"),
    ("earthquake: consultation opinion", (2, 3), "cn-emerg-02",
     "地震局内部会商意见：未来一个月川滇交界可能有6级左右地震，这个意见不能外传，只报省政府。"),
    ("bid: floor price per unit", (2, 3), "cn-commercial-01",
     "这次给移动的报价我们底价是每台3,200，销售那边最低可以让到3,050，千万别让客户知道底价。"),
    ("know-how: recipe thickener and temperature", (2, 3), "cn-commercial-05",
     "我们那个配方的关键是加0.3%的增稠剂，温度控制在85度，这个是核心机密，别写到对外的资料里。"),
    ("colleague: depression and sick leave", (1, 1), None,
     "老李最近查出抑郁症，在吃药，请了一个月病假，这事先别在科里传。"),
    ("meeting: criticism at the office meeting", (1, 1), "cn-work-02",
     "今天办公会上局长把老周批了一顿，说他项目拖了半年，这个你知道就行，别传。"),
    ("check: unannounced visit to the service hall", (1, 1), "cn-work-05",
     "下周省里暗访组要来查窗口服务，具体哪天还不知道，先别告诉窗口的同事。"),
]

PUBLIC = [
    # (kind, band, draft): the same subjects in public or harmless words
    ("exam: teacher marking homework", (0, 1),
     "李老师，明天的数学小测卷子我印好了，题目不难，课代表早上来拿。"),
    ("planning: published plan in the news", (0, 0),
     "市里十五五规划纲要昨天正式公布了，地铁5号线明年开工，新闻发布会上说的，网上都能查到。"),
    ("outbreak: published flu notice", (0, 0),
     "社区通知：近期流感高发，卫健委已发布提示，发热病人请及时就医，老人小孩注意戴口罩。"),
    ("grid: planned outage notice", (0, 0),
     "供电公告：因线路检修，本周六8:00-12:00 城东片区停电，请居民提前做好准备，转发到业主群。"),
    ("religious: public festival", (0, 0),
     "下周清真寺开斋节活动对外开放，民宗局已经发了通知，欢迎大家去参观。"),
    ("research: published paper", (0, 0),
     "我们组那篇钙钛矿电池的论文昨天见刊了，转化效率27%，欢迎大家转发，原始数据在附件里公开了。"),
    ("drill: public evacuation drill notice", (0, 0),
     "通知：本周五上午十点全校开展消防应急演练，听到警报后按路线有序撤离，请各班主任提前告知学生。"),
    ("survey: public standard map", (0, 0),
     "做展板用的地图请到天地图或标准地图服务网站下载，审图号要标上，别自己画。"),
    ("hospital: public health talk", (0, 0),
     "医院公众号：本周六上午有乙肝防治讲座，病人和家属都可以来听，不需要预约。"),
    ("statistics: published figure in the news", (0, 0),
     "统计局今天上午发布了，三季度GDP增长4.8%，新闻联播也播了，大家写材料可以直接引用。"),
    ("press advisory for a reform plan", (0, 0),
     "国务院新闻办将于18日上午10时举行新闻发布会，介绍改革方案有关情况，欢迎记者朋友报名。"),
    ("dam: published flood release notice", (0, 0),
     "通知：水库将于今晚8点开闸泄洪，下游河道两侧群众请勿靠近，请村干部用喇叭广播。"),
    ("deal: published acquisition", (0, 0),
     "公司官网今天发布公告，正式完成对某科技公司的收购，股票明天复牌，大家可以看公告原文。"),
    ("salary: public pay scale", (0, 0),
     "人社厅公布了今年的最低工资标准，一类地区每月2,490元，具体看官网通知。"),
    ("tender notice", (0, 0),
     "招标公告：某市政道路工程公开招标，投标文件请于开标前递交，详见公共资源交易中心网站。"),
    ("exam: paper handed back after the test", (0, 0),
     "期中考试卷子发下来了，这次物理最后一道大题好难，你们班平均分多少？"),
    ("statistics: published CPI", (0, 0),
     "统计局刚发布了上月CPI，同比涨0.2%，你写稿子直接用官方数据就行。"),
    ("monetary: foreign rate decision in the news", (0, 0),
     "新闻说美联储今晚议息，大家预期加息25个基点，明早看结果。"),
    ("outage: estate maintenance notice", (0, 0),
     "我们小区明天停水停电检修，物业说早上8点到下午5点，大家提前储水。"),
    ("outbreak: kindergarten hygiene notice", (0, 0),
     "幼儿园通知：近期手足口病高发，请家长每天早上检查孩子手口，发现症状及时就医。"),
    ("accident: published fire bulletin with no casualties", (0, 0),
     "应急管理局发布通报，化工厂火灾已扑灭，无人员伤亡，周边空气监测正常。"),
    ("religious: lunch near the mosque", (0, 0),
     "周末去清真寺旁边那家牛肉面吃饭吧，听说特别好吃。"),
    ("prices: published retail price", (0, 0),
     "我们新品的建议零售价是每台2,999，官网已经上架，欢迎大家转发。"),
    ("meeting: all-staff meeting notice", (0, 1),
     "下午三点在二楼会议室开全体会，请大家准时参加，带上笔记本。"),
    ("survey: navigation map update", (0, 0),
     "导航地图更新了，新修的那条路已经能导了，大家出行可以试试。"),
    ("accident: toll reported in the news", (0, 0),
     "今天新闻说某地矿难遇难人数上升到12人，救援还在进行。"),
    ("exam: the night before a school test", (0, 0),
     "明天上午考数学，同学们早点睡，带好2B铅笔和准考证。"),
    ("exam: revision advice", (0, 0),
     "周五上午考试，题目不难，大家认真复习课本上的例题。"),
    ("exam: candidates after an interview", (0, 0),
     "这次的面试题本来就很难，考完大家都说没答好，成绩下周出。"),
    ("outage: published district notice", (0, 0),
     "供电局公告：明天城西片区计划停电，整个城西8点到18点停电，请提前准备。"),
    ("gas: estate works notice", (0, 0),
     "物业通知：小区燃气管道改造，周六全天停气，请居民提前做好准备。"),
]


@pytest.mark.parametrize("name,band,item,text", SECRET, ids=[k[0] for k in SECRET])
def test_everyday_words_reach_the_band(name: str, band: tuple[int, int], item: str | None, text: str) -> None:
    s = _suggest(text)
    assert band[0] <= s.level <= band[1], "\n".join(s.rationale)
    if item is not None:
        assert s.scope_item == item, "\n".join(s.rationale)


@pytest.mark.parametrize("name,band,text", PUBLIC, ids=[k[0] for k in PUBLIC])
def test_public_talk_about_the_same_subjects_stays_low(name: str, band: tuple[int, int], text: str) -> None:
    s = _suggest(text)
    assert band[0] <= s.level <= band[1], "\n".join(s.rationale)


def test_a_formal_release_date_is_not_an_announcement_still_to_come() -> None:
    """The future-announcement pattern of the decision items skips the formal 将于/定于 of a press
    advisory (a published schedule); a chat's 下周二宣布 is the matter before it is announced."""
    for formal in ("机构改革方案定于下周二发布。", "机构改革方案定于18日发布。", "机构改革方案将于本周五公布。"):
        s = _suggest(formal)
        assert s.level <= 1 and s.scope_item is None, "\n".join(s.rationale)
    s = _suggest("领导说机构改革方案定了，下周二宣布。")
    assert s.level == 3 and s.scope_item == "cn-econ-01", "\n".join(s.rationale)
