"""`el-synth-v1`: a deterministic Chinese KB and annotated texts with the difficulties of CCKS 2019.

What makes it the post's task rather than a lookup (each is measured in tests/test_synth.py):

- ~2,000 surface names shared by 1-20 entities of mixed types (people, places, works,
  organisations, products, common nouns), so a third or more of gold mentions are ambiguous;
- a skewed prior inside each name (the most frequent entity is right ~60-75 % of the time);
- in most texts the context holds words of the right entity's description (its field's keywords,
  its occupation, its birthplace), which is what a matcher can learn and a prior cannot;
- NIL mentions (~7 %): KB names used for someone outside the KB, and names not in the KB at all;
- KB aliases in the text that are not annotated (common nouns, attribute values) about as often as
  gold mentions, so raw max-match precision is low and alias pruning has something to prune;
- nested and overlapping names (北京 inside 北京大学), repeated mentions, 《》 around works,
  Latin letters and digits in product names (sometimes full-width), full-width punctuation;
- entities held out of train that dev and test texts mention.

Everything derives from one `random.Random(SEED)`, so the data never changes between machines.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import lru_cache
from itertools import accumulate

from harness_entity_linking.data import NIL, SYNTH_DATASET, Entity, KnowledgeBase

SEED = 20190819
SIZES = {"train": 5000, "dev": 1000, "test": 1000}
N_SURFACES = 2000

SURNAMES = list(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任"
    "沈姚卢姜崔钟谭陆汪范金石廖贾夏韦方白邹孟熊秦邱江尹薛段雷侯龙史陶黎贺顾毛郝龚邵万钱严武戴莫孔向汤"
)
GIVEN = list(
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红玲芬燕彬鹏辉斌宇浩凯健俊帆旭宁"
    "欣怡佳琪晨雪梦思婷雨嘉子轩涵博文昊然若瑶诗远"
)
PLACE_HEAD = list("东西南北安宁平泰永长青清白云龙凤华新金宝天海山河江湖石桃柳松梅")
PLACE_TAIL = list("州阳城安宁原川江山口门林沙溪源陵")
PLACE_SUFFIX = ["市", "县", "镇", "山", "湖", "河"]
WORD_CHARS = list("春夏秋冬风花雪月星辰光影梦想远方故乡时代青春旅途归来少年之歌天空海洋心路传奇记忆")
BRANDS_LATIN = ["X", "Pro", "Max", "Air", "Note", "S", "K", "Mini", "Plus", "GT"]

# Fields with their context words; an entity's description draws its keywords from its field.
FIELDS = {
    "音乐": ["歌手", "专辑", "演唱会", "单曲", "唱片", "乐坛", "歌迷", "作曲", "旋律", "巡演", "金曲", "舞台"],
    "影视": ["演员", "电影", "导演", "剧组", "票房", "上映", "主演", "片场", "影评", "首映", "角色", "拍摄"],
    "文学": ["作家", "小说", "诗歌", "散文", "出版", "读者", "文坛", "连载", "作品集", "评论", "书店", "笔名"],
    "体育": ["球员", "比赛", "冠军", "球队", "进球", "联赛", "教练", "赛季", "转会", "主场", "奥运", "训练"],
    "科技": ["芯片", "手机", "屏幕", "处理器", "发布会", "系统", "电池", "相机", "续航", "软件", "算法", "网络"],
    "学术": ["教授", "论文", "研究", "实验室", "学者", "院士", "课题", "期刊", "学术", "讲座", "博士", "理论"],
    "地理": ["景区", "游客", "气候", "人口", "交通", "古镇", "山脉", "旅游", "风景", "河流", "铁路", "特产"],
    "商业": ["公司", "投资", "上市", "股价", "市场", "融资", "营收", "品牌", "门店", "董事长", "并购", "财报"],
    "历史": ["朝代", "皇帝", "战争", "史书", "古代", "遗址", "考古", "文物", "将军", "王朝", "起义", "碑文"],
    "美食": ["餐厅", "菜品", "厨师", "口味", "小吃", "食材", "烹饪", "甜点", "火锅", "菜谱", "早餐", "饮品"],
}
OCCUPATION = {
    "音乐": "歌手",
    "影视": "演员",
    "文学": "作家",
    "体育": "运动员",
    "科技": "工程师",
    "学术": "教授",
    "地理": "地理学家",
    "商业": "企业家",
    "历史": "历史学家",
    "美食": "厨师",
}
TYPE_FIELDS = {
    "人物": list(FIELDS),
    "地点": ["地理", "历史", "美食", "体育"],
    "作品": ["音乐", "影视", "文学"],
    "机构": ["商业", "学术", "体育", "科技", "影视"],
    "产品": ["科技", "美食", "商业"],
}
WORK_KIND = {"音乐": "歌曲", "影视": "电影", "文学": "小说"}
ORG_SUFFIX = {"商业": "集团", "学术": "大学", "体育": "足球俱乐部", "科技": "科技公司", "影视": "电视台"}
# Common nouns that are KB entities and occur in running text mostly unannotated (CCKS annotates few).
COMMON = [
    "音乐",
    "电影",
    "公司",
    "城市",
    "手机",
    "足球",
    "小说",
    "歌曲",
    "大学",
    "学生",
    "时间",
    "历史",
    "中国",
    "文化",
    "经济",
    "比赛",
    "球队",
    "作家",
    "演员",
    "歌手",
    "科学",
    "技术",
    "市场",
    "网络",
    "游戏",
    "教育",
    "旅游",
    "美食",
    "世界",
    "生活",
    "冠军",
    "专辑",
    "系统",
    "研究",
    "学校",
    "大学生",
    "艺术",
    "电视",
    "新闻",
    "朋友",
    # field words that are also KB entries: the contexts that disambiguate are full of unannotated aliases
    "演唱会",
    "单曲",
    "票房",
    "导演",
    "诗歌",
    "散文",
    "联赛",
    "教练",
    "芯片",
    "屏幕",
    "论文",
    "院士",
    "游客",
    "古镇",
    "投资",
    "品牌",
    "皇帝",
    "文物",
    "餐厅",
    "火锅",
    "小吃",
    "相机",
    "软件",
    "算法",
    "博士",
    "铁路",
    "特产",
    "起义",
]
FILLER = [
    "近日，",
    "据报道，",
    "众所周知，",
    "在今年的活动上，",
    "有网友表示，",
    "值得一提的是，",
    "此前，",
    "随后，",
    "另外，",
    "不少人认为，",
    "事实上，",
    "与此同时，",
]
GLUE = [
    "在中国文化中",
    "在网络上引发讨论",
    "受到学生和朋友的喜爱",
    "在市场上表现不错",
    "成为生活中的话题",
    "与世界各地的朋友分享",
    "在新闻里出现",
    "吸引了很多游客",
    "引发了教育界的关注",
    "被写进了历史",
    "让人想起那段时间",
    "在电视节目中被提到",
    "推动了经济和技术发展",
    "深受艺术爱好者欢迎",
]
PERSON_TEMPLATES = [
    "{m}是一位{occ}，{k1}和{k2}都很出色",
    "{m}凭借{k1}获得关注，{k2}也备受好评",
    "作为{occ}，{m}在{k1}方面很有名",
    "{m}出生于{birth}，早年从事{k1}",
    "{m}谈到了自己的{k1}与{k2}",
    "{k1}现场，{m}{verb}{k2}",
]
WORK_TEMPLATES = [
    "{q}是{author}的{kind}，{k1}很受欢迎",
    "{author}创作的{q}{verb}{k1}",
    "{q}这部{kind}的{k1}和{k2}",
    "{k1}里，{q}{verb}{k2}",
    "说起{q}，不得不提它的{k1}",
]
PLACE_TEMPLATES = [
    "{m}的{k1}很有名，{k2}也不错",
    "去{m}看{k1}",
    "{m}位于{region}，以{k1}闻名",
    "{m}的{k1}吸引了游客，{k2}随之发展",
]
ORG_TEMPLATES = [
    "{m}宣布了新的{k1}计划",
    "{m}的{k1}和{k2}引人注目",
    "{m}总部位于{region}，主要业务是{k1}",
    "{m}在{k1}上{verb}{k2}",
]
PRODUCT_TEMPLATES = ["{m}的{k1}和{k2}升级明显", "{maker}推出的{m}主打{k1}", "{m}在{k1}方面{verb}{k2}", "新款{m}的{k1}很强"]
VERBS = ["谈到了", "展示了", "带来了", "提到了", "介绍了", "分享了"]
REGIONS = ["华北", "华南", "华东", "西南", "西北", "东北", "中部", "沿海"]
NOVEL_HEAD = list("甄芮冼阙晏栾")  # surnames no KB person has: their names are NIL mentions outside the KB


@dataclass(frozen=True)
class Synthetic:
    kb: KnowledgeBase
    splits: dict[str, list[dict]]


@lru_cache(maxsize=1)
def generate() -> Synthetic:
    """The whole dataset (KB and the three splits); a few seconds, cached for the process."""
    rng = random.Random(SEED)
    kb, groups, places, orgs, works = _knowledge_base(rng)
    fresh = _held_out(rng, groups)
    writer = _Writer(rng, kb, groups, places, orgs, works)
    splits = {}
    for split, n in SIZES.items():
        rows = []
        for i in range(n):
            text, mentions = writer.text(exclude=fresh if split == "train" else frozenset())
            rows.append({"id": f"{split}-{i:05d}", "text": text, "kb": SYNTH_DATASET, "mentions": mentions})
        splits[split] = rows
    return Synthetic(kb, splits)


def _person_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))


def _place_name(rng: random.Random) -> str:
    return rng.choice(PLACE_HEAD) + rng.choice(PLACE_TAIL)


def _work_title(rng: random.Random) -> str:
    return "".join(rng.choice(WORD_CHARS) for _ in range(rng.choice((2, 3, 4))))


def _group_size(rng: random.Random) -> int:
    r = rng.random()
    if r < 0.42:
        return 1
    if r < 0.74:
        return rng.randint(2, 3)
    if r < 0.93:
        return rng.randint(4, 8)
    return rng.randint(10, 20)


def _knowledge_base(rng: random.Random):
    """Entities grouped by the surface name they share; returns the KB and the groups by surface."""
    kb = KnowledgeBase(SYNTH_DATASET)
    groups: dict[str, list[tuple[str, float]]] = {}  # surface -> [(entity id, popularity)]
    places, orgs, works = [], [], []
    next_id = [10001]

    def new_id() -> str:
        next_id[0] += rng.randint(1, 3)
        return str(next_id[0])

    # Places first: organisation and work names are built from them (nested aliases).
    base_types = ["人物"] * 9 + ["地点"] * 3 + ["作品"] * 4 + ["机构"] * 2 + ["产品"] * 2
    surfaces: list[tuple[str, str]] = []
    used = set(COMMON)
    while len(surfaces) < N_SURFACES:
        base = rng.choice(base_types)
        if base == "人物":
            name = _person_name(rng)
        elif base == "地点":
            name = _place_name(rng)
        elif base == "作品":
            name = _work_title(rng)
        elif base == "机构":
            head = rng.choice([p for p, t in surfaces if t == "地点"] or [_place_name(rng)])
            name = head + rng.choice(list(ORG_SUFFIX.values()))
        else:
            brand = rng.choice(["星河", "云帆", "极光", "青禾", "北斗", "蓝鲸"])
            name = brand + rng.choice(BRANDS_LATIN) + str(rng.randint(1, 60))
        if name in used:
            continue
        used.add(name)
        surfaces.append((name, base))

    for name, base in surfaces:
        size = _group_size(rng)
        weights = [1.0 / (j + 1) ** 1.6 for j in range(size)]
        members = []
        for j in range(size):
            kind = base if j == 0 or rng.random() < 0.75 else rng.choice(list(TYPE_FIELDS))
            if kind == "产品" and base != "产品":
                kind = "作品"
            field_name = rng.choice(TYPE_FIELDS[kind])
            eid = new_id()
            entity = _entity(rng, eid, name, kind, field_name, places, works)
            kb.add(entity)
            members.append((eid, weights[j]))
            if kind == "地点":
                places.append(name)
            elif kind == "机构":
                orgs.append(eid)
            elif kind == "作品":
                works.append(name)
        groups[name] = members
    for noun in COMMON:
        eid = new_id()
        field_name = rng.choice(list(FIELDS))
        kw = rng.sample(FIELDS[field_name], 3)
        kb.add(
            Entity(
                eid,
                noun,
                (noun,),
                ("事物",),
                (("摘要", f"{noun}是与{kw[0]}、{kw[1]}相关的概念"), ("义项描述", f"{noun}（{kw[2]}）")),
            )
        )
        groups[noun] = [(eid, 1.0)]
    return kb, groups, places, orgs, works


def _entity(rng: random.Random, eid: str, name: str, kind: str, field_name: str, places: list, works: list) -> Entity:
    kw = rng.sample(FIELDS[field_name], 4)
    aliases = [name]
    data: list[tuple[str, str]] = []
    if kind == "人物":
        occupation = OCCUPATION[field_name]
        birth = rng.choice(places) if places and rng.random() < 0.7 else _place_name(rng) + "市"
        data += [("职业", occupation), ("出生地", birth), ("国籍", "中国")]
        if works and rng.random() < 0.5:
            data.append(("代表作品", "《" + rng.choice(works) + "》"))
        if len(name) == 3 and rng.random() < 0.3:
            aliases.append(name[1:])  # the given name alone, as the real KB often lists
        data.append(("摘要", f"{name}，{occupation}，以{kw[0]}、{kw[1]}和{kw[2]}著称，曾参与{kw[3]}"))
    elif kind == "地点":
        suffix = rng.choice(PLACE_SUFFIX)
        aliases.append(name + suffix)
        data += [("所属地区", rng.choice(REGIONS)), ("摘要", f"{name}{suffix}以{kw[0]}和{kw[1]}闻名，{kw[2]}、{kw[3]}发达")]
    elif kind == "作品":
        work_kind = WORK_KIND.get(field_name, "作品")
        aliases.append("《" + name + "》")
        data += [
            ("作品类型", work_kind),
            ("作者", _person_name(rng)),
            ("摘要", f"《{name}》是一部{work_kind}，讲述{kw[0]}与{kw[1]}，{kw[2]}、{kw[3]}广受好评"),
        ]
    elif kind == "机构":
        if len(name) > 3:
            aliases.append(name[0] + name[2] if name.endswith("大学") else name[:2] + name[-2:])
        data += [
            ("机构类型", ORG_SUFFIX.get(field_name, "机构")),
            ("总部", rng.choice(REGIONS)),
            ("摘要", f"{name}的主要领域是{kw[0]}和{kw[1]}，在{kw[2]}、{kw[3]}方面有影响"),
        ]
    else:
        data += [
            ("品牌", name[:2]),
            ("产品类型", rng.choice(["手机", "平板", "饮料", "耳机"])),
            ("摘要", f"{name}主打{kw[0]}与{kw[1]}，{kw[2]}、{kw[3]}是卖点"),
        ]
    data.append(("领域", field_name))
    if rng.random() < 0.2:  # predicates repeat inside one entity in the real KB too
        data.append(("摘要", f"另有{kw[rng.randrange(4)]}方面的介绍"))
    return Entity(eid, name, tuple(aliases), (kind,), tuple(data))


def _held_out(rng: random.Random, groups: dict[str, list[tuple[str, float]]]) -> frozenset[str]:
    """Entities no training text mentions (~10 %): never the only entity of a name."""
    fresh = set()
    for members in groups.values():
        for eid, _ in members[1:]:
            if rng.random() < 0.15:
                fresh.add(eid)
        if len(members) == 1 and rng.random() < 0.04:
            fresh.add(members[0][0])
    return frozenset(fresh)


class _Writer:
    """Writes one text at a time: a few mention clauses, fillers, and unannotated KB words."""

    def __init__(self, rng: random.Random, kb: KnowledgeBase, groups, places, orgs, works) -> None:
        self.rng, self.kb, self.groups = rng, kb, groups
        self.places = places
        self.named = [s for s in groups if s not in COMMON]
        # Names are popular in proportion to a Zipf-like weight of their rank.
        self.weights = [1.0 / (r + 8) ** 0.8 for r in range(len(self.named))]
        # accumulated once: `choices(weights=...)` would sum them on every draw (the same draws either way)
        self.cum_weights = list(accumulate(self.weights))
        # How often each common noun is annotated when it occurs (most: never, as in CCKS).
        self.annotate_rate = {n: rng.choice((0.0, 0.0, 0.0, 0.05, 0.4, 0.8)) for n in COMMON}

    def _facts(self, eid: str) -> dict[str, str]:
        return {p: o for p, o in self.kb.entities[eid].data}

    def _keywords(self, eid: str) -> list[str]:
        field_name = self._facts(eid)["领域"]
        summary = " ".join(o for p, o in self.kb.entities[eid].data if p == "摘要")
        return [w for w in FIELDS[field_name] if w in summary]

    def text(self, exclude: frozenset[str]) -> tuple[str, list[dict]]:
        rng = self.rng
        pieces: list[tuple[str, str | None]] = []  # (text, kb_id or None); a mention piece carries its id
        if rng.random() < 0.5:
            pieces.append((rng.choice(FILLER), None))
        for k in range(rng.choice((1, 2, 2, 3, 3))):
            if k:
                pieces.append((rng.choice(("，", "。", "；", "！")), None))
            pieces += self._clause(exclude)
            if rng.random() < 0.45:
                pieces.append(("，", None))
                pieces += self._glue()
        pieces.append((rng.choice(("。", "！", "？", "……")), None))
        text, mentions = "", []
        for piece, kb_id in pieces:
            if kb_id is not None:
                mentions.append({"kb_id": kb_id, "mention": piece, "offset": len(text)})
            text += piece
        return text, mentions

    def _glue(self) -> list[tuple[str, str | None]]:
        """Running text full of common-noun KB aliases, annotated only at each noun's own rate."""
        glue = self.rng.choice(GLUE)
        out, i = [], 0
        for noun in sorted(COMMON, key=len, reverse=True):
            j = glue.find(noun)
            if j >= i and self.rng.random() < self.annotate_rate[noun]:
                out += [(glue[i:j], None), (noun, self.groups[noun][0][0])]
                i = j + len(noun)
        out.append((glue[i:], None))
        return [p for p in out if p[0]]

    def _pick(self, exclude: frozenset[str]) -> tuple[str, str | None]:
        """A (surface, entity id) pair; id None means a NIL use of a KB name."""
        rng = self.rng
        while True:
            surface = rng.choices(self.named, cum_weights=self.cum_weights)[0]
            members = [(e, w) for e, w in self.groups[surface] if e not in exclude]
            if members:
                break
        if rng.random() < 0.045:
            return surface, None
        return surface, rng.choices([e for e, _ in members], [w for _, w in members])[0]

    def _clause(self, exclude: frozenset[str]) -> list[tuple[str, str | None]]:
        rng = self.rng
        if rng.random() < 0.03:  # a person outside the KB, under a name no KB entity has
            name = rng.choice(NOVEL_HEAD) + rng.choice(GIVEN) + rng.choice(GIVEN)
            field_name = rng.choice(list(FIELDS))
            k1, k2 = rng.sample(FIELDS[field_name], 2)
            return self._fill(
                rng.choice(PERSON_TEMPLATES),
                (name, NIL),
                k1,
                k2,
                OCCUPATION[field_name],
                rng.choice(self.places),
                rng.choice(self.named),
                "作品",
            )
        surface, eid = self._pick(exclude)
        if eid is None:  # NIL: the context comes from no KB entity of this name
            field_name = rng.choice(list(FIELDS))
            k1, k2 = rng.sample(FIELDS[field_name], 2)
            kind = rng.choice(list(TYPE_FIELDS))
            facts: dict[str, str] = {"职业": OCCUPATION[field_name]}
            link = NIL
        else:
            facts = self._facts(eid)
            keywords = self._keywords(eid)
            # Most contexts use the entity's own keywords; some use a field-mate's, some any field's.
            if rng.random() < 0.82:
                k1, k2 = rng.sample(keywords, 2)
            else:
                k1, k2 = rng.sample(FIELDS[rng.choice(list(FIELDS))], 2)
            kind = self.kb.entities[eid].types[0]
            link = eid
        entity = self.kb.entities.get(eid or "")
        shown = surface
        if entity is not None and len(entity.aliases) > 1 and kind in ("人物", "机构") and rng.random() < 0.15:
            shown = entity.aliases[1]
        if kind == "产品" and rng.random() < 0.3:
            shown = shown.replace("X", "Ｘ").replace("S", "Ｓ").replace("K", "Ｋ")  # full-width Latin
        if kind == "产品" and rng.random() < 0.3:
            shown = shown.lower()
        templates = {
            "人物": PERSON_TEMPLATES,
            "作品": WORK_TEMPLATES,
            "地点": PLACE_TEMPLATES,
            "机构": ORG_TEMPLATES,
            "产品": PRODUCT_TEMPLATES,
        }[kind]
        birth = facts.get("出生地", rng.choice(self.places))
        pieces = self._fill(
            rng.choice(templates),
            (shown, link),
            k1,
            k2,
            facts.get("职业", "专家"),
            birth,
            facts.get("作者", _person_name(rng)),
            facts.get("作品类型", "作品"),
        )
        if rng.random() < 0.12:  # the same mention again, further on
            again = rng.choice(["，后来{m}又提到了{k1}", "；{m}再次谈起{k1}"])
            pieces += self._fill(again, (shown, link), k2, k1, "", "", "", "")
        return pieces

    def _fill(
        self, template: str, mention: tuple[str, str], k1: str, k2: str, occ: str, birth: str, author: str, kind: str
    ) -> list[tuple[str, str | None]]:
        rng = self.rng
        values = {
            "k1": k1,
            "k2": k2,
            "occ": occ,
            "birth": birth,
            "author": author,
            "kind": kind,
            "verb": rng.choice(VERBS),
            "region": rng.choice(REGIONS),
            "maker": mention[0][:2],
        }
        out: list[tuple[str, str | None]] = []
        rest = template
        while rest:
            i = rest.find("{")
            if i < 0:
                out.append((rest, None))
                break
            if i:
                out.append((rest[:i], None))
            j = rest.index("}", i)
            key = rest[i + 1 : j]
            if key == "m":
                out.append(mention)
            elif key == "q":  # a work in book marks: the mention is the title inside them
                out += [("《", None), mention, ("》", None)]
            else:
                out.append((values[key], None))
            rest = rest[j + 1 :]
        return out
