"""Informal Chinese messages about state matters: the catalogue must know the words people type.

Chats, short e-mails and voice-message transcripts rarely use the scope rules' official terms:
people write 换密 for a key change, 留置 for a detention, 国安局 for the security service,
合议 for a panel's deliberation, 最多让到 for a negotiating limit. Each draft below is written
for the test, in other words than the evaluation drafts, and stands for one concept of the
catalogue (the item that must decide is named where one must). The public drafts at the end
talk about the same subjects in everyday words (news, a training quiz, a published result)
and must stay low.
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
    return classify(Document(source="chat.txt", sha256="0" * 64, kind="txt", language="zh", text=text))


def _rationale(s) -> str:
    return s.rationale if isinstance(s.rationale, str) else " ".join(s.rationale)


SECRET = [
    # (name, band, item that must show in the rationale or None, draft)
    ("audit finding before the report", (2, 2), "cn-audit-01", """审计组 小郑：
开发区管委会那块审出来的问题不少，土地出让金有一笔挪去还了平台公司的贷款，审计底稿都做完了。
还没定性，等处务会上汇报后再定，被审单位那边先别透风。"""),
    ("audit query chat", (1, 2), "cn-audit-01", """李科，跟你说下，审计组这次在卫健委查到的采购疑点，初稿周五才出，
现在还没反馈给被审计单位，他们问起来就说还在核对。"""),
    ("detention tomorrow morning", (2, 2), "cn-audit-02", """刘主任：纪委那边定了，明天一早对规划局那个副局长采取留置，
本人还不知道，咱们这边只负责把他叫到会议室，其他的一概不问。"""),
    ("taken away tomorrow", (2, 3), "cn-audit-02", """纪委的人明天上午要把那个处长带走，咱们这边配合叫他来开会，别走漏风声。"""),
    ("two officials to be detained", (3, 3), "cn-audit-02", """[微信] 监委 老宋：
名单我看了，副县长和县委书记两个都在，材料已经报上去了，估计下周一起留置，时间还没最后定。"""),
    ("audit programme before issue", (1, 1), "cn-audit-04", """小冯，明年的年度审计计划已经排好了，要审的单位有十几个，
文件还没下发，别跟下面的人提，免得他们提前做账。"""),
    ("cipher machines to the counties", (3, 3), "cn-crypto-02", """机要科：新一批加密机下周配发到各区县，每台的设备编号和使用单位我列了表，
密钥注入等省里的人来了再做。"""),
    ("key change night", (3, 4), "cn-crypto-01", """机要 老汤：
这个月底换密，各点统一切换在30号零点，新密本已经封好了，由交通员周四前送到。
旧密本切换后当天双人销毁，销毁记录交回来。"""),
    ("cipher cards to outposts", (3, 4), "cn-crypto-01", """周科：下周三换钥，密卡一共12张，3号零点启用，
老的那批启用后全部销毁，两个人签字，机要交通送过去。"""),
    ("committee wants a retrial", (1, 2), "cn-courts-01", """审委会上周讨论了那个上诉案，多数觉得要改判，文书还没出，
当事人问进度就说还在合议。"""),
    ("panel split before judgment", (1, 2), "cn-courts-01", """李庭：下午那个受贿案合议了一下，审判长和我意见不统一，
他倾向于判缓刑，我觉得应该判实刑，准备报审委会，这几天律师打电话你就说还在审理。"""),
    ("draft judgment not yet pronounced", (1, 2), "cn-courts-01", """小孙，那个离婚纠纷的判决稿我改完了，还没宣判，
放在你桌上那份先别给当事人看，陪审员还要再签意见。"""),
    ("negotiating limit on a treaty", (3, 3), "cn-foreign-01", """郑处：
明天和对方谈边贸协定，我方底线定了，关税最多让到5%，过渡期最多退到三年，其他都可以谈。
这个口径只限代表团团长和您掌握，对方问起就说回去请示。"""),
    ("a minister's private words", (3, 3), "cn-foreign-02", """王参赞：昨晚宴会上对方那个部长私底下说，他们政府其实不打算跟进出口管制，
只是做做样子给盟友看，这话千万不能传出去。"""),
    ("maritime patrol plan", (2, 3), "cn-terr-02", """海警那边通知：月底三艘船去东边那片岛礁巡航，航线先贴着外侧走，
出航时间等通知，别在朋友圈发定位。"""),
    ("boundary concession", (3, 3), None, """划界的事：咱们内部的底线是中间线往西最多让三海里，这个只有谈判组知道，
下轮会谈先不提。"""),
    ("state security tasking", (3, 3), "cn-security-02", """王老师，国家安全机关的同志今天来过了，让我们留意一下那个来交流的外国博士，
他晚上常去的那家咖啡馆跟谁见面，记一下就行，别惊动他，也别跟课题组其他人说。"""),
    ("asking to watch a visitor", (2, 3), "cn-security-02", """组长，国安的人那边让咱们配合盯一下208房间那位客人，
主要是看他接触了谁，别改变正常接待，有情况电话说，别在群里打字。"""),
    ("our man in their ministry", (3, 4), "cn-security-01", """他们国防部里我们的人又送出来一份材料，是下个月军演的方案原件，
这人身份只有您知道，下次接头改到周五。"""),
    ("source inside the other side", (3, 4), "cn-security-01", """科长：咱们在对方外交部那个人昨天送来新东西，是他们总统出访前的内部讲话稿，原件照片已经拍了。
这个人的身份只有您和我知道，下次还在老地方见。"""),
    ("phone implant", (3, 4), "cn-security-03", """那个对象的手机上装了东西，他的聊天记录和定位我们都能看到，
这个手段千万别暴露，报告里只写“掌握情况”。"""),
    ("protected witness", (3, 3), "cn-police-04", """那个证人已经转到外省的安置点了，地址只有专案组两个人知道，
家属问起来就说出差了。"""),
    ("informant's identity", (3, 3), "cn-police-04", """张队，那个线人的真名和住哪千万别写进卷宗，
他的身份除了我跟大队长没人知道，他说那伙人下周会再进一批货。"""),
    ("stake-out on Friday night", (3, 3), "cn-police-02", """各位：周五晚上在西郊货场蹲守，那帮人交货时动手抓人，
明早动手前再开个短会，人员你来定，车辆我来安排。"""),
    ("lead before the arrest", (1, 2), "cn-police-01", """大家注意，抢手机那个案子有线索了，监控拍到一个穿灰外套的男的，
嫌疑人还没抓到，先别发朋友圈，怕打草惊蛇。"""),
    ("where the brigade sits", (3, 3), "cn-defence-02", """那个导弹旅现在驻在北山的老营区，具体在哪个村后面我知道，
下面有三个发射营，这个你别在电话里说。"""),
    ("meeting row and vote", (3, 3), "cn-leader-02", """常委会上为那个化工园区的事吵起来了，最后表决是六比五才过，
会议情况不要外传。"""),
    ("ships to sea on orders", (3, 4), "cn-defence-01", """值班参谋：上级命令，南部方向即时转入一级战备，驱逐舰支队12小时内完成出航准备，
出航后无线电静默，进入预定阵位的坐标看加密电报。"""),
    ("readiness and stations", (3, 4), "cn-defence-01", """团值班室：接令后转入二级战备，各营6小时内完成战斗出航准备，
潜艇支队按预案进入阵位，具体等命令。"""),
    ("brigade moving to an exercise", (2, 3), "cn-defence-05", """语音转文字：咱们旅下个月拉到北边去参加实兵对抗，走铁路，
十几列车，具体几号出发等命令，这段时间停止请假。"""),
    ("fighters redeploying", (2, 3), "cn-defence-05", """机务群：歼击机下周四转场到南边的场站，具体几架等上级命令，地勤明天先过去。"""),
    ("boat sailing on patrol", (4, 4), "cn-nuclear-02", """【微信】支队 老沈：
战略潜艇月底出航，巡逻区还是上次那片海区，这趟在海上待八十天，通信时间表按新下发的执行。"""),
    ("their satellite passes overhead", (3, 4), "cn-space-01", """营部通知：对方那颗成像星这周过顶时间提前了，每天上午十点二十过境，
分辨率0.5米，装备场注意遮蔽。"""),
    ("code book swap", (3, 4), "cn-crypto-01", """下月1号换码本，新的已经锁进保险柜了，旧码本换完当天烧掉，
你和老孟一起签字。"""),
    ("cipher broken", (3, 4), "cn-crypto-03", """老吴：上面怀疑咱们的密码被人破了，可能对方一直在看我们的电报，
这事先别声张，等技术那边查清楚。"""),
    ("watching a suspected spy", (3, 3), "cn-security-02", """国家安全机关那边盯了那个工程师三个月了，说他一直在给境外的人送材料，
最近准备收网，咱们所里配合一下就行。"""),
    ("weapon-grade stocktake", (4, 4), "cn-nuclear-03", """库管 老邱：
武器级钚今年的库存盘点做完了，总量跟账上对得上，不明损失在限值内，新入库那批放在三号库。"""),
    ("reactor event before rating", (1, 2), "cn-nuclear-06", """核电厂值班群
值长：2号机组主泵振动报警，已经手动停堆，没有放射性泄漏。
主任：按程序报核安全局，对外通报要等定级以后。"""),
    ("rumour of a reshuffle", (2, 3), "cn-personnel-01", """听说年底市里要调整一批局长，水务局的老何去人大，接他的人还在考察，
你先别往外说。"""),
    ("county chief to be replaced", (2, 3), "cn-personnel-01", """老周：县里要动一批干部了，交通局一把手要换，组织考察已经谈过话了，
接替的初步定了是财政局的副局长，文件还没下，你先心里有数。"""),
    ("nominee after the standing committee", (2, 3), "cn-personnel-01", """组织部那边说常委会下周二上会，文旅局长人选定了是宣传部的小林，
还没公示，别在群里说。"""),
    ("launch date not yet public", (2, 3), "cn-space-02", """发射场 小宋：发射日期定在下月12号，零窗口凌晨1点整，
火箭昨晚已经转运到塔架了，对外先别说。"""),
    ("ignition time moved", (2, 3), "cn-space-02", """测发大厅通知：点火时间改到周日傍晚，备份窗口顺延一天，消息还没公开，各岗位注意。"""),
    ("senior visitor schedule", (3, 3), None, """接待办：首长周三上午十点到，住东湖宾馆3号楼，
车队走环湖大道，警卫对接已经完成，行程暂不对外。"""),
    ("leadership line-up", (4, 4), "cn-personnel-05", """老领导，跟您说个事，这次大会人事基本定了，政治局常委里有一位要退，
接替人选是南方那位书记，会前通知本人，这事您知道就行。"""),
]

PUBLIC = [
    # (name, highest level allowed, draft)
    ("published audit report chat", 0, """看到审计署官网上的审计结果公告了吗，去年查出的违规资金已经整改了大半，新闻里也报了。"""),
    ("news of a detention", 0, """刚刷到新闻，省纪委监委发布消息，某市原副市长已被留置，接受审查调查。大家看看就好，引以为戒。"""),
    ("training quiz on keys", 0, """保密培训小测验：第3题，密钥应当如何保管？A. 随意存放 B. 按规定存放在保密柜 C. 拍照发群里。答案：B"""),
    ("court hearing news", 0, """那个案子今天公开宣判了，法院官网有直播回放，合议庭当庭宣读了判决，判了三年缓刑。"""),
    ("negotiation news", 0, """新闻联播说两国谈判取得积极进展，双方同意下月继续磋商，具体内容会在联合声明里公布。"""),
    ("counter-espionage open day", 0, """下周二是全民国家安全教育日，国安局在广场有宣传展板，大家有空可以去看看，还有有奖问答。"""),
    ("missing pet", 0, """群里的朋友帮忙留意一下，我家的狗昨天下午在小区门口走丢了，白色的，谁看见了告诉我，谢谢🙏"""),
    ("reactor news", 0, """新闻说那个核电站的新机组今天并网发电了，装机容量一百多万千瓦，挺厉害的。"""),
    ("military history", 0, """周末去军事博物馆看了，讲解员说当年部队紧急出航的故事，挺感人的，孩子很喜欢。"""),
    ("appointment notice", 0, """市委组织部官网发了干部任前公示，交通局新局长是谁都写了，公示期五个工作日。"""),
    ("launch watched live", 0, """昨晚在海边看火箭发射直播，点火那一刻全场都在欢呼，卫星已经入轨了。"""),
    ("coast guard news", 0, """新闻：海警今天在某海域开展例行巡航执法，现场画面已经公布，网友纷纷点赞。"""),
    ("barracks open day", 0, """今天部队开放日，营区对外开放，可以参观坦克和雷达，带孩子去玩了一下午。"""),
    ("museum cipher machine", 0, """博物馆里有一台老式密码机展出，旁边写着它的历史，挺有意思。"""),
    ("police warning to residents", 0, """派出所提醒：最近有人冒充快递员上门，嫌疑人还没抓到，大家别给陌生人开门，注意安全。"""),
    ("soldier's family", 0, """部队的朋友说下周要去驻训，估计一个月联系不上，有点想他。"""),
    ("plant open day", 0, """核电站开放日，可以参观主控室模拟机，一回路的模型很直观，推荐带孩子去。"""),
    ("home router password", 0, """今晚换密码了，路由器的WiFi密码我改了，新的发群里了，老的作废。"""),
    ("warehouse stocktake", 0, """仓库今年的库存盘点完了，总量对得上，二号库的货明天发走。"""),
    ("company encryptor", 0, """我们公司的新加密机买回来了，编号登记一下，配发清单交给行政。"""),
    ("power switchover", 0, """小区今晚停电检修，零点切换到备用线路，明早恢复，冰箱里的东西注意一下。"""),
    ("fire drill", 0, """明天上午消防演习，九点在楼下集合到位，大家别迟到，记得带湿毛巾。"""),
    ("film crew moving", 0, """剧组明天转场去下一个景点，早上六点出发，车在酒店门口等。"""),
    ("plenum communique", 0, """全会公报今天发了，新闻里说会议增补了两位中央委员，名单都公布了。"""),
]


@pytest.mark.parametrize(("name", "band", "item", "text"), SECRET, ids=[c[0] for c in SECRET])
def test_informal_secret_drafts_fall_in_their_band(name: str, band: tuple[int, int], item: str | None, text: str) -> None:
    s = _suggest(text)
    assert band[0] <= s.level <= band[1], f"{name}: {s.level} not in {band}: {_rationale(s)}"
    if item:
        assert item in _rationale(s), f"{name}: {item} not in {_rationale(s)}"


@pytest.mark.parametrize(("name", "most", "text"), PUBLIC, ids=[c[0] for c in PUBLIC])
def test_everyday_talk_about_the_same_subjects_stays_low(name: str, most: int, text: str) -> None:
    s = _suggest(text)
    assert s.level <= most, f"{name}: {s.level} > {most}: {_rationale(s)}"
