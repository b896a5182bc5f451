"""`titling-synth-v1`: deterministic synthetic Chinese news articles with their titles.

Built so that the direction of decoding matters and can be measured rather than assumed:

- a title's *beginning* comes from what the article says *late* (the outcome sentence near the
  end, the work named there in 《…》), its *end* from what it says *early* (the lead sentence's
  person, action, number and place);
- paired marks must agree at both ends of a span (《 … 》) and some templates repeat the main
  person's name (it must be the same name both times);
- names, places and numbers are copied from the article (most test names never occur in train);
- distractors: a second person with the same kind of action and another number ("此前，…"), a
  past outcome of someone else ("去年…曾…"), other places; only the lead sentence's person and
  number and the final outcome belong in the title;
- the outcome is paraphrased (宣布退役 -> 退役, 最终带队夺得冠军 -> 夺冠), so titles are not
  substrings of the article and an extractive baseline cannot match them.

Which of the title templates an article gets follows from the article itself (its domain,
whether it names a work, how its lead sentence opens), so a title is a function of its article.
Generation takes well under a second per split; nothing is cached on disk.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

SIZES = {"train": 8000, "val": 500, "test": 1000}
SEEDS = {"train": 6877, "val": 6878, "test": 6879}
TITLE_MIN, TITLE_MAX = 8, 30
ARTICLE_MIN, ARTICLE_MAX = 100, 400

SURNAMES = list(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕"
    "丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = list(
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红鹏飞鑫波宁琳晨浩宇欣怡子轩梓涵一诺思远嘉懿俊熙"
    "雨泽睿博文昊天瑞凯乐天佳琪梦瑶诗雅婉清若曦昕冉沐辰安然景行志远建国建华晓东海燕春梅秋菊冬青"
)
CITIES = [
    "北京",
    "上海",
    "广州",
    "深圳",
    "杭州",
    "南京",
    "成都",
    "重庆",
    "武汉",
    "西安",
    "苏州",
    "天津",
    "长沙",
    "郑州",
    "青岛",
    "沈阳",
    "大连",
    "厦门",
    "宁波",
    "合肥",
    "福州",
    "济南",
    "昆明",
    "贵阳",
    "南宁",
    "哈尔滨",
    "长春",
    "石家庄",
    "太原",
    "南昌",
    "兰州",
    "乌鲁木齐",
    "呼和浩特",
    "海口",
    "三亚",
    "无锡",
    "佛山",
    "东莞",
    "珠海",
    "温州",
    "泉州",
    "烟台",
    "洛阳",
    "桂林",
    "拉萨",
    "银川",
    "西宁",
    "绍兴",
    "扬州",
    "徐州",
]
WORK_A = list("长夜星河归途山海春风白鹭青云远方故乡明月孤城烟火流年追光破晓逆风锦绣天涯初心家国")
WORK_B = [
    "往事",
    "之歌",
    "少年",
    "人间",
    "来信",
    "笔记",
    "传奇",
    "纪事",
    "日记",
    "之路",
    "守望",
    "回响",
    "密码",
    "时代",
    "",
    "",
    "",
]
DATES = ["1月", "2月", "3月", "4月", "5月", "6月", "7月", "8月", "9月", "10月", "11月", "12月"]


@dataclass(frozen=True)
class Domain:
    """One news domain: how its lead sentence acts, how its stories end, and how works are named."""

    name: str
    actions: list[tuple[str, str, str]]  # (article phrase before the number, title phrase before it, unit)
    outcomes: list[tuple[str, str]]  # (article phrase, the title's paraphrase)
    work_kind: list[str]  # how the article introduces a work in 《…》
    fillers: list[str]
    repeat_name: bool  # templates of this domain repeat the person's name


DOMAINS = [
    Domain(
        "体育",
        [
            ("在比赛中独得", "砍下", "分"),
            ("全场贡献了", "贡献", "个篮板"),
            ("上半场就送出", "半场送出", "次助攻"),
            ("本赛季已打进", "已进", "粒进球"),
        ],
        [
            ("最终带领球队夺得冠军", "夺冠"),
            ("最终遗憾止步半决赛", "止步四强"),
            ("赛后宣布退役", "退役"),
            ("随后正式加盟新东家", "转会"),
            ("最终因伤缺席总决赛", "伤退"),
        ],
        ["纪录片", "自传"],
        [
            "现场观众热情高涨，比赛一度暂停。",
            "主教练在赛后发布会上表示球队还需要继续磨合。",
            "这场比赛吸引了大量球迷到场观战。",
            "双方在第三节打出了一波激烈的攻防转换。",
            "联赛官方随后公布了本轮的技术统计。",
            "媒体普遍认为这是本赛季最精彩的一场对决。",
        ],
        repeat_name=True,
    ),
    Domain(
        "科技",
        [
            ("宣布完成了新一轮融资", "融资", "亿元"),
            ("称新产品首日售出", "首日售出", "万台"),
            ("透露公司已累计申请", "申请", "项专利"),
            ("表示平台用户突破", "用户破", "万"),
        ],
        [
            ("最终决定推迟发布会", "推迟发布"),
            ("随后宣布正式上市", "上市"),
            ("最终辞去首席执行官职务", "辞职"),
            ("随后宣布开源核心代码", "开源"),
            ("最终被竞争对手收购", "被收购"),
        ],
        ["报告", "白皮书"],
        [
            "业内人士指出，行业竞争正在加剧。",
            "分析师认为，这一数字超出了市场预期。",
            "公司股价当天小幅上涨。",
            "多家媒体对此进行了跟踪报道。",
            "相关负责人表示，研发投入还将继续增加。",
            "专家提醒消费者理性看待新技术。",
        ],
        repeat_name=False,
    ),
    Domain(
        "影视",
        [
            ("主演的新片票房已达", "票房达", "亿元"),
            ("表示首映观影人数超过", "观影超", "万人次"),
            ("透露剧集总共拍摄了", "拍摄", "集"),
            ("凭借角色获得了", "获得", "项提名"),
        ],
        [
            ("最终获得最佳导演奖", "获最佳导演"),
            ("随后宣布暂别影坛", "暂别影坛"),
            ("最终撤档", "撤档"),
            ("随后宣布续拍第二部", "续拍"),
            ("最终入围国际电影节", "入围电影节"),
        ],
        ["电影", "电视剧", "综艺"],
        [
            "影评人普遍给出了较高评价。",
            "不少观众在社交平台上分享了观影感受。",
            "片方随后发布了新的海报和预告。",
            "该片的拍摄周期长达一年。",
            "发布会现场座无虚席。",
            "网友对结局的讨论持续升温。",
        ],
        repeat_name=True,
    ),
    Domain(
        "财经",
        [
            ("公告称去年净利润为", "净利", "亿元"),
            ("称营收同比增长了", "营收增", "个百分点"),
            ("表示全国门店已达", "门店达", "家"),
            ("透露公司计划增持", "增持", "万股"),
        ],
        [
            ("最终宣布回购股份", "回购"),
            ("随后被监管部门立案调查", "被立案"),
            ("最终申请破产重整", "破产重整"),
            ("随后宣布分拆上市", "分拆上市"),
            ("最终完成重大资产重组", "完成重组"),
        ],
        ["年报", "研报"],
        [
            "市场人士认为，短期波动难以避免。",
            "多位投资者对此表示关注。",
            "该消息发布后，板块整体走强。",
            "公司董事会已审议通过相关议案。",
            "交易所随后发出了问询函。",
            "分析人士建议投资者注意风险。",
        ],
        repeat_name=False,
    ),
    Domain(
        "教育",
        [
            ("介绍全市新建了", "新建", "所学校"),
            ("表示今年共招收", "招收", "名学生"),
            ("透露学校开设了", "开设", "门课程"),
            ("称图书馆新增", "新增", "万册图书"),
        ],
        [
            ("最终被评为全国优秀教师", "获评优秀教师"),
            ("随后宣布取消期中考试", "取消期中考"),
            ("最终推动减负政策落地", "推动减负"),
            ("随后发起乡村支教计划", "发起支教"),
            ("最终获得国家教学成果奖", "获教学成果奖"),
        ],
        ["教材", "读本"],
        [
            "家长们对这一做法普遍表示支持。",
            "教育部门将对实施效果进行评估。",
            "不少学生表示学习压力有所减轻。",
            "相关课程将在下学期全面推开。",
            "校方表示会继续听取各方意见。",
            "这一举措引发了社会的广泛讨论。",
        ],
        repeat_name=True,
    ),
    Domain(
        "健康",
        [
            ("通报本周新增病例", "新增", "例"),
            ("表示已为患者义诊", "义诊", "人次"),
            ("介绍全省已有定点医院", "已有", "家"),
            ("称医保目录新增", "医保新增", "种药品"),
        ],
        [
            ("最终研发出新型疫苗", "研发新疫苗"),
            ("随后发布健康预警", "发布预警"),
            ("最终成功完成首例手术", "完成首例手术"),
            ("随后宣布启动临床试验", "启动临床试验"),
            ("最终被授予白求恩奖章", "获白求恩奖章"),
        ],
        ["指南", "手册"],
        [
            "专家提醒市民注意饮食均衡。",
            "医院方面表示将进一步优化就诊流程。",
            "相关部门正在加强监测。",
            "不少患者对此表示欢迎。",
            "卫生部门建议公众做好个人防护。",
            "这一成果已在学术期刊上发表。",
        ],
        repeat_name=False,
    ),
]

GENERIC = [
    "据了解，相关工作仍在推进之中。",
    "记者注意到，这已经不是第一次出现类似情况。",
    "对此，有关方面尚未作出进一步回应。",
    "有网友评论称，这一消息令人意外。",
    "事件的后续进展，本报将继续关注。",
    "多位专家从不同角度进行了解读。",
]


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))


def _number(rng: random.Random) -> str:
    n = rng.choice((rng.randint(2, 99), rng.randint(100, 999), rng.randint(10, 99)))
    return f"{n}.{rng.randint(1, 9)}" if rng.random() < 0.2 else str(n)


def _work(rng: random.Random) -> str:
    return "".join(rng.sample(WORK_A, rng.choice((2, 2, 4)))) + rng.choice(WORK_B)


def _article_and_title(rng: random.Random) -> tuple[str, str, dict]:
    domain = rng.choice(DOMAINS)
    person = _name(rng)
    others = [n for n in (_name(rng), _name(rng)) if n != person] or [person + "平"]
    place, place2 = rng.sample(CITIES, 2)
    a_index = rng.randrange(len(domain.actions))
    act_article, act_title, unit = domain.actions[a_index]
    number = _number(rng)
    number2 = _number(rng)
    if number2 == number:
        number2 = str(int(float(number)) + 7)
    o_index = rng.randrange(len(domain.outcomes))
    out_article, out_title = domain.outcomes[o_index]
    past_article = domain.outcomes[(o_index + rng.randrange(1, len(domain.outcomes))) % len(domain.outcomes)][0]
    past_article = past_article.removeprefix("最终").removeprefix("随后").removeprefix("赛后")
    has_work = rng.random() < 0.4
    work = _work(rng) if has_work else ""
    opening = rng.random() < 0.5  # "DATE，PLACE消息" (True) or "记者DATE从PLACE获悉" (False)
    date = rng.choice(DATES) + f"{rng.randint(1, 28)}日"

    lead = (
        f"{date}，{place}消息，{person}{act_article}{number}{unit}。"
        if opening
        else f"记者{date}从{place}获悉，{person}{act_article}{number}{unit}。"
    )
    other_action = rng.choice(domain.actions)
    distractor = f"此前，{others[0]}{other_action[0]}{number2}{other_action[2]}。"
    past = f"去年，{others[-1]}在{place2}曾{past_article}。"
    late = (
        f"{rng.choice(domain.work_kind)}《{work}》中提到，{person}{out_article}。"
        if has_work
        else f"据悉，{person}{out_article}。"
    )
    middle = [distractor, past]
    target = rng.randint(ARTICLE_MIN, 290)  # most articles 120-330 characters: the encoder LSTMs dominate training time
    pool = domain.fillers + GENERIC
    fillers = rng.sample(pool, len(pool))
    core = len(lead) + len(late) + sum(map(len, middle))
    while fillers and core < target:
        sentence = fillers.pop()
        middle.insert(rng.randrange(len(middle) + 1), sentence)
        core += len(sentence)
    closing = rng.choice(GENERIC) if core + 20 < ARTICLE_MAX else ""
    article = lead + "".join(middle) + late + closing

    # The title: its start from the late sentence, its end from the lead sentence.
    tail = f"{act_title}{number}{unit}"
    if has_work:
        title = f"《{work}》{out_title}：{person}{tail}"
    elif domain.repeat_name and opening:
        title = f"{person}{out_title}，{person}曾{tail}"
    elif domain.repeat_name:
        title = f"{out_title}！{person}在{place}{tail}"
    elif opening:
        title = f"{out_title}！{person}{tail}"
    else:
        title = f"{person}{out_title}，{place}{tail}"
    facts = {"domain": domain.name, "person": person, "number": number, "place": place, "work": work, "outcome": out_title}
    return article, title, facts


def generate(split: str) -> list[dict]:
    """The split's rows `{id, content, title, domain}`; the same on every call and machine."""
    if split not in SIZES:
        raise ValueError(f"unknown split {split!r}")
    rng = random.Random(SEEDS[split])
    rows: list[dict] = []
    while len(rows) < SIZES[split]:
        article, title, facts = _article_and_title(rng)
        if not (ARTICLE_MIN <= len(article) <= ARTICLE_MAX and TITLE_MIN <= len(title) <= TITLE_MAX):
            continue
        rows.append({"id": f"{split}-{len(rows):05d}", "content": article, "title": title, "domain": facts["domain"]})
    return rows
