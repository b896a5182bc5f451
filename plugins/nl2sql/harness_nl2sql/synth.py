"""The embedded default `nl2sql-synth-v1`: Chinese tables and questions in the TableQA format.

Generated deterministically (seeded by the split name) in about a second, so nothing is cached.
Twelve domains, each with text and real columns whose headers come in several variants; the
last variant of every header is held out of train, and val/test tables are built until their
header list never occurred in train. Questions cover every sel/agg/op/conn combination, one to
three selected columns and zero to three conditions joined by and/or, with many phrasings per
construct; values are often written differently from the table (1.2万 for 12000, 三 for 3,
北大 for 北京大学, 北京 for 北京市) and text columns are often not named at all.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from harness_nl2sql.values import canonical_number, number_forms

SIZES = {"train": (360, 6000), "val": (60, 1000), "test": (60, 1000)}  # (tables, questions)
VERSION = "nl2sql-synth-v1"

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍鹏辉建国志红梅林波斌宇浩凯"
    "健俊帆帅旭宁琳晨晶文博雪飞欣然思远子轩梓涵一诺浩宇雨桐"
)
CITIES = (
    "北京 上海 广州 深圳 天津 重庆 成都 杭州 武汉 西安 南京 苏州 长沙 郑州 青岛 沈阳 宁波 东莞 "
    "无锡 厦门 福州 济南 大连 合肥 昆明 哈尔滨 长春 石家庄 南宁 贵阳 南昌 太原 兰州 海口 "
    "呼和浩特 乌鲁木齐 银川 西宁 拉萨 珠海 佛山 温州 烟台 泉州 惠州 徐州 常州 "
    "南通 嘉兴 绍兴 洛阳 桂林 三亚 唐山 扬州 台州 金华 潍坊"
).split()
PROVINCES = (
    "河北 山西 辽宁 吉林 黑龙江 江苏 浙江 安徽 福建 江西 山东 河南 湖北 湖南 广东 海南 四川 贵州 云南 陕西 甘肃 青海 "
    "台湾 内蒙古 广西 西藏 宁夏 新疆"
).split()
DISTRICTS = (
    "朝阳 海淀 丰台 浦东 徐汇 静安 天河 越秀 南山 福田 宝安 锦江 武侯 西湖 滨江 江汉 雁塔 鼓楼 玄武 姑苏 岳麓 金水 市南 和平"
).split()
BRANDS = "万科 保利 碧桂园 融创 招商 华润 龙湖 绿地 中海 金地 世茂 旭辉 新城 阳光城 远洋 首开 建发 越秀 雅居乐 中梁".split()
ESTATE_SUFFIX = "花园 公馆 天悦 壹号 华府 城市之光 璟园 云著 翡翠湾 国际社区 玖樟台 御府 学府 春江 臻园 熙岸 书院 湖畔".split()
COMPANIES = (
    "贵州茅台 五粮液 招商银行 中国平安 宁德时代 比亚迪 美的集团 格力电器 海天味业 恒瑞医药 隆基绿能 伊利股份 万华化学 "
    "工商银行 建设银行 中信证券 东方财富 海康威视 立讯精密 药明康德 迈瑞医疗 长江电力 紫金矿业 中国中免 京东方 "
    "三一重工 山西汾酒 泸州老窖 片仔癀 爱尔眼科 通威股份 汇川技术 中国神华 牧原股份 顺丰控股 上汽集团"
).split()
INDUSTRIES = "白酒 银行 保险 新能源 汽车 家电 食品 医药 光伏 化工 证券 电子 电力 有色金属 免税 机械 煤炭 养殖 物流".split()
FUND_HOUSES = "易方达 华夏 南方 嘉实 广发 汇添富 富国 博时 招商 鹏华 工银瑞信 景顺长城 兴全 中欧 交银施罗德 银华".split()
FUND_THEMES = "蓝筹精选 成长 价值优选 消费升级 医疗健康 新能源 科技创新 稳健收益 红利 均衡配置 核心优势 先进制造 品质生活".split()
FUND_KINDS = "混合 股票 债券 指数 QDII FOF".split()
FILMS = (
    "流浪地球 战狼 长津湖 你好李焕英 哪吒之魔童降世 唐人街探案 我不是药神 满江红 独行月球 红海行动 八佰 少年的你 "
    "无名之辈 误杀 人生大事 孤注一掷 消失的她 封神 万里归途 奇迹笨小孩 送你一朵小红花 悬崖之上 这个杀手不太冷静 "
    "热辣滚烫 飞驰人生 第二十条 堵车 长安三万里 深海 中国机长 攀登者 我和我的祖国 夺冠 姜子牙 白蛇缘起 大鱼海棠 "
    "疯狂的石头 让子弹飞 一出好戏 西虹市首富 羞羞的铁拳 美人鱼 港囧 心花路放 无问西东 芳华"
).split()
GENRES = "喜剧 动作 科幻 剧情 悬疑 动画 爱情 战争 犯罪 冒险".split()
COUNTRIES = [
    ("中国大陆", "大陆"),
    ("中国香港", "香港"),
    ("美国", None),
    ("日本", None),
    ("韩国", None),
    ("法国", None),
    ("英国", None),
    ("印度", None),
]
UNIVERSITIES = [
    ("北京大学", "北大"),
    ("清华大学", "清华"),
    ("复旦大学", "复旦"),
    ("上海交通大学", "上交"),
    ("浙江大学", "浙大"),
    ("南京大学", "南大"),
    ("中国科学技术大学", "中科大"),
    ("武汉大学", "武大"),
    ("华中科技大学", "华科"),
    ("中山大学", "中大"),
    ("四川大学", "川大"),
    ("西安交通大学", "西交"),
    ("哈尔滨工业大学", "哈工大"),
    ("北京师范大学", "北师大"),
    ("同济大学", "同济"),
    ("南开大学", "南开"),
    ("天津大学", "天大"),
    ("东南大学", "东南"),
    ("厦门大学", "厦大"),
    ("山东大学", "山大"),
    ("吉林大学", "吉大"),
    ("湖南大学", "湖大"),
    ("重庆大学", "重大"),
    ("华东师范大学", "华东师大"),
    ("北京航空航天大学", "北航"),
    ("北京理工大学", "北理工"),
    ("西北工业大学", "西工大"),
    ("中国人民大学", "人大"),
    ("电子科技大学", "电子科大"),
    ("华南理工大学", "华南理工"),
    ("大连理工大学", "大工"),
    ("兰州大学", "兰大"),
    ("东北大学", "东大"),
    ("中南大学", "中南"),
    ("北京邮电大学", "北邮"),
    ("上海财经大学", "上财"),
    ("中央财经大学", "中财"),
    ("苏州大学", "苏大"),
]
UNI_KINDS = "综合 理工 师范 财经 医药 农林 语言 政法".split()
HOTEL_BRANDS = [
    ("希尔顿酒店", "希尔顿"),
    ("万豪酒店", "万豪"),
    ("洲际酒店", "洲际"),
    ("喜来登酒店", "喜来登"),
    ("全季酒店", "全季"),
    ("亚朵酒店", "亚朵"),
    ("如家快捷酒店", "如家"),
    ("汉庭酒店", "汉庭"),
    ("香格里拉大酒店", "香格里拉"),
    ("锦江之星", "锦江"),
    ("凯悦酒店", "凯悦"),
    ("维也纳酒店", "维也纳"),
]
LANDMARKS = "火车站 机场 西湖 外滩 王府井 春熙路 解放碑 五一广场 国贸 会展中心 大学城 高铁站 步行街 江北".split()
CAR_MODELS = [
    ("比亚迪汉EV", "汉EV"),
    ("比亚迪秦PLUS", "秦PLUS"),
    ("特斯拉Model3", "Model3"),
    ("特斯拉ModelY", "ModelY"),
    ("理想L7", None),
    ("蔚来ET5", None),
    ("小鹏P7", None),
    ("问界M7", None),
    ("吉利星越L", "星越L"),
    ("长安CS75PLUS", "CS75PLUS"),
    ("哈弗H6", None),
    ("大众朗逸", "朗逸"),
    ("丰田凯美瑞", "凯美瑞"),
    ("本田雅阁", "雅阁"),
    ("日产轩逸", "轩逸"),
    ("宝马3系", None),
    ("奔驰C级", None),
    ("奥迪A4L", "A4L"),
    ("五菱宏光MINIEV", "宏光MINI"),
    ("广汽埃安S", "埃安S"),
    ("零跑C11", None),
    ("极氪001", None),
    ("别克GL8", "GL8"),
    ("传祺M8", None),
    ("红旗H5", None),
    ("坦克300", None),
    ("领克03", None),
]
CAR_BRANDS = "比亚迪 特斯拉 理想 蔚来 小鹏 问界 吉利 长安 哈弗 大众 丰田 本田 日产 宝马 奔驰 奥迪 五菱 埃安".split()
CAR_KINDS = "轿车 SUV MPV 跑车 皮卡".split()
BOOKS = (
    "活着 平凡的世界 围城 三体 白夜行 百年孤独 红楼梦 人类简史 解忧杂货店 追风筝的人 明朝那些事儿 小王子 朝花夕拾 "
    "边城 骆驼祥子 文化苦旅 许三观卖血记 兄弟 穆斯林的葬礼 白鹿原 长安的荔枝 人世间 繁花 额尔古纳河右岸 尘埃落定 "
    "红高粱家族 生死疲劳 蛙 檀香刑 秋园 云边有个小卖部 我与地坛"
).split()
PUBLISHERS = [
    ("人民文学出版社", "人民文学"),
    ("作家出版社", "作家社"),
    ("中信出版社", "中信"),
    ("上海译文出版社", "上海译文"),
    ("南海出版公司", "南海"),
    ("译林出版社", "译林"),
    ("北京十月文艺出版社", "十月文艺"),
    ("重庆出版社", "重庆社"),
    ("浙江文艺出版社", "浙江文艺"),
    ("湖南文艺出版社", "湖南文艺"),
]
PHONES = [
    ("华为Mate60Pro", "Mate60Pro"),
    ("华为P70", "P70"),
    ("小米14", None),
    ("小米14Ultra", None),
    ("iPhone15", None),
    ("iPhone15Pro", None),
    ("OPPOFindX7", "FindX7"),
    ("vivoX100", "X100"),
    ("荣耀Magic6", "Magic6"),
    ("一加12", None),
    ("realme真我GT5", "真我GT5"),
    ("红米K70", "K70"),
    ("魅族21", None),
    ("三星GalaxyS24", "S24"),
    ("iQOONeo9", "Neo9"),
    ("努比亚Z60", "Z60"),
    ("荣耀90", None),
    ("小米Civi4", "Civi4"),
    ("华为nova12", "nova12"),
]
PHONE_BRANDS = "华为 小米 苹果 OPPO vivo 荣耀 一加 真我 红米 魅族 三星 努比亚".split()
TEAMS = [
    ("广东宏远", "广东"),
    ("辽宁本钢", "辽宁"),
    ("浙江稠州", "浙江"),
    ("上海久事", "上海"),
    ("北京首钢", "首钢"),
    ("新疆伊力特", "新疆"),
    ("深圳马可波罗", "深圳"),
    ("山东高速", "山东"),
    ("浙江广厦", "广厦"),
    ("青岛国信", "青岛"),
    ("北京控股", "北控"),
    ("福建浔兴", "福建"),
]
POSITIONS = "控球后卫 得分后卫 小前锋 大前锋 中锋".split()


def person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


@dataclass
class Col:
    """One column concept: header variants (the last is held out of train), how questions name it, values."""

    headers: list[str]
    mentions: list[str]
    kind: str  # "text" or "real"
    pool: Any = None  # text: list of (value, alias or None) or a callable rng -> (value, alias)
    low: float = 0.0
    high: float = 0.0
    decimals: int = 0
    unit: str = ""  # unit a question may put after a number (e.g. 万, 元, %)
    key: bool = False

    def value(self, rng: random.Random) -> tuple[Any, str | None]:
        if self.kind == "real":
            x = rng.uniform(self.low, self.high)
            return (round(x, self.decimals) if self.decimals else round(x)), None
        entry = self.pool(rng) if callable(self.pool) else rng.choice(self.pool)
        return entry if isinstance(entry, tuple) else (entry, None)


@dataclass
class Domain:
    name: str
    entity: list[str]  # how questions refer to the rows: 楼盘, 小区, ...
    titles: list[str]
    columns: list[Col]
    measure: str = "个"  # the measure word for counting
    extra: dict = field(default_factory=dict)


def _plain(values: list[str]) -> list[tuple[str, None]]:
    return [(v, None) for v in values]


def _city(rng: random.Random) -> tuple[str, str]:
    city = rng.choice(CITIES)
    return city + "市", city


def _estate(rng: random.Random) -> tuple[str, str | None]:
    brand, suffix = rng.choice(BRANDS), rng.choice(ESTATE_SUFFIX)
    return brand + suffix, None


def _fund(rng: random.Random) -> tuple[str, str]:
    house, theme, kind = rng.choice(FUND_HOUSES), rng.choice(FUND_THEMES), rng.choice(FUND_KINDS)
    return house + theme + kind, house + theme


def _hotel(rng: random.Random) -> tuple[str, str]:
    city, landmark = rng.choice(CITIES), rng.choice(LANDMARKS)
    brand, short = rng.choice(HOTEL_BRANDS)
    return f"{city}{landmark}{brand}", f"{landmark}{short}"


def _company(rng: random.Random) -> tuple[str, str]:
    name = rng.choice(COMPANIES)
    return name + rng.choice(("股份有限公司", "集团有限公司", "控股股份公司")), name


DOMAINS = [
    Domain(
        "property",
        ["楼盘", "项目", "小区"],
        ["{city}新房成交统计", "{year}年热门楼盘一览", "楼盘均价排行"],
        [
            Col(["楼盘名称", "项目名称", "楼盘", "在售楼盘"], ["楼盘"], "text", _estate, key=True),
            Col(["所在城市", "城市", "所属城市"], ["城市"], "text", _city),
            Col(["区域", "所在区域", "行政区", "板块"], ["区域", "区"], "text", _plain(DISTRICTS)),
            Col(["开发商", "开发企业", "房企", "开发单位"], ["开发商"], "text", _plain(BRANDS)),
            Col(
                ["成交均价(元/平)", "均价", "参考均价(元/㎡)", "成交单价"],
                ["均价", "房价", "单价"],
                "real",
                None,
                8000,
                98000,
                0,
                "元",
            ),
            Col(
                ["成交套数", "成交量(套)", "销售套数", "网签套数"], ["成交套数", "成交量", "套数"], "real", None, 10, 900, 0, "套"
            ),
            Col(
                ["建筑面积(万平)", "面积(万㎡)", "总建面(万方)", "占地面积(万平)"], ["面积", "建面"], "real", None, 2, 80, 1, "万"
            ),
            Col(["容积率", "规划容积率", "容积率指标"], ["容积率"], "real", None, 1, 6, 2),
        ],
    ),
    Domain(
        "stocks",
        ["股票", "个股", "公司"],
        ["{date}A股收盘数据", "沪深热门股行情", "{industry}板块个股表现"],
        [
            Col(["股票名称", "证券简称", "股票简称", "名称"], ["股票"], "text", _plain(COMPANIES), key=True),
            Col(["所属行业", "行业", "申万行业", "行业分类"], ["行业"], "text", _plain(INDUSTRIES)),
            Col(["收盘价(元)", "收盘价", "最新价", "现价(元)"], ["收盘价", "股价", "价格"], "real", None, 3, 1800, 2, "元"),
            Col(["涨跌幅(%)", "涨跌幅", "日涨幅(%)", "涨幅"], ["涨跌幅", "涨幅"], "real", None, -10, 10, 2, "%"),
            Col(["市盈率", "市盈率(TTM)", "PE", "动态市盈率"], ["市盈率"], "real", None, 5, 120, 1),
            Col(["总市值(亿元)", "市值(亿)", "总市值", "流通市值(亿元)"], ["市值", "总市值"], "real", None, 50, 25000, 0, "亿"),
            Col(["成交量(万手)", "成交量", "成交手数(万)", "换手量(万手)"], ["成交量"], "real", None, 1, 300, 1, "万手"),
        ],
    ),
    Domain(
        "funds",
        ["基金", "产品"],
        ["{year}年基金业绩排行", "{house}旗下基金一览", "热门基金净值表"],
        [
            Col(["基金名称", "基金简称", "产品名称", "基金"], ["基金"], "text", _fund, key=True),
            Col(["基金类型", "类型", "投资类型", "基金类别"], ["类型"], "text", _plain(FUND_KINDS)),
            Col(["基金经理", "经理", "现任基金经理", "管理人"], ["基金经理", "经理"], "text", person),
            Col(["单位净值", "最新净值", "净值(元)", "累计净值"], ["净值"], "real", None, 0.5, 6, 4, "元"),
            Col(
                ["近一年收益率(%)", "近1年收益(%)", "年收益率", "今年以来收益率(%)"],
                ["收益率", "收益"],
                "real",
                None,
                -40,
                90,
                2,
                "%",
            ),
            Col(["基金规模(亿元)", "规模(亿)", "资产规模(亿元)", "管理规模"], ["规模"], "real", None, 0.5, 600, 2, "亿"),
            Col(["成立年限", "成立年数", "运作年限", "存续年限"], ["成立年限", "年限"], "real", None, 1, 20, 0, "年"),
        ],
    ),
    Domain(
        "cities",
        ["城市", "地级市"],
        ["{year}年城市经济数据", "主要城市GDP排行", "城市人口与经济统计"],
        [
            Col(["城市", "城市名称", "地区", "城市名"], ["城市"], "text", _plain(CITIES), key=True),
            Col(["所属省份", "省份", "所在省", "省区"], ["省份", "省"], "text", lambda r: (r.choice(PROVINCES) + "省", None)),
            Col(
                ["GDP(亿元)", "地区生产总值(亿元)", "GDP总量", "经济总量(亿)"],
                ["GDP", "生产总值", "经济总量"],
                "real",
                None,
                800,
                48000,
                0,
                "亿",
            ),
            Col(
                ["常住人口(万人)", "人口(万)", "常住人口", "年末人口(万人)"],
                ["人口", "常住人口"],
                "real",
                None,
                80,
                3200,
                1,
                "万",
            ),
            Col(["GDP增速(%)", "增速", "经济增速(%)", "增长率"], ["增速", "增长率"], "real", None, -2, 12, 1, "%"),
            Col(
                ["人均可支配收入(元)", "人均收入", "居民人均收入(元)", "人均可支配收入"],
                ["人均收入", "收入"],
                "real",
                None,
                25000,
                90000,
                0,
                "元",
            ),
            Col(["行政区数量", "辖区数", "下辖区县数", "区县数量"], ["区县数", "辖区数"], "real", None, 3, 25, 0, "个"),
        ],
        measure="个",
    ),
    Domain(
        "films",
        ["电影", "影片", "片子"],
        ["{year}年电影票房榜", "国庆档影片数据", "热门电影评分"],
        [
            Col(["影片名称", "电影名称", "片名", "影片"], ["电影", "片名"], "text", _plain(FILMS), key=True),
            Col(["导演", "导演姓名", "执导", "主创导演"], ["导演"], "text", person),
            Col(["类型", "影片类型", "题材", "电影类型"], ["类型", "题材"], "text", _plain(GENRES)),
            Col(["制片地区", "地区", "出品地", "国家地区"], ["地区"], "text", COUNTRIES),
            Col(["票房(万元)", "累计票房(万)", "总票房(万元)", "票房收入"], ["票房"], "real", None, 500, 580000, 0, "万"),
            Col(["豆瓣评分", "评分", "猫眼评分", "网友评分"], ["评分", "分数"], "real", None, 4, 9.8, 1, "分"),
            Col(["上映天数", "放映天数", "上映时长(天)", "排片天数"], ["上映天数", "天数"], "real", None, 3, 120, 0, "天"),
        ],
        measure="部",
    ),
    Domain(
        "universities",
        ["大学", "高校", "学校"],
        ["{year}年高校排名", "双一流高校概况", "高校录取分数线"],
        [
            Col(["学校名称", "高校名称", "院校", "大学名称"], ["学校", "大学", "高校"], "text", UNIVERSITIES, key=True),
            Col(["所在城市", "城市", "所在地", "校址城市"], ["城市", "所在地"], "text", _plain(CITIES)),
            Col(["办学类型", "类型", "院校类型", "学校类别"], ["类型"], "text", _plain(UNI_KINDS)),
            Col(
                ["录取分数线", "最低分", "投档线", "录取最低分"], ["分数线", "最低分", "录取分"], "real", None, 560, 700, 0, "分"
            ),
            Col(
                ["在校生人数", "学生人数", "在校学生数", "本科生人数"],
                ["学生人数", "在校生"],
                "real",
                None,
                12000,
                60000,
                0,
                "人",
            ),
            Col(["院士人数", "院士数", "两院院士", "院士数量"], ["院士"], "real", None, 0, 80, 0, "位"),
            Col(["综合排名", "排名", "全国排名", "软科排名"], ["排名"], "real", None, 1, 100, 0, "名"),
        ],
        measure="所",
    ),
    Domain(
        "hotels",
        ["酒店", "宾馆"],
        ["{city}酒店价格一览", "热门酒店评分", "节假日酒店房价"],
        [
            Col(["酒店名称", "酒店", "名称", "门店名称"], ["酒店"], "text", _hotel, key=True),
            Col(["品牌", "所属品牌", "酒店品牌", "连锁品牌"], ["品牌"], "text", HOTEL_BRANDS),
            Col(["星级", "酒店星级", "挂牌星级", "档次(星)"], ["星级"], "real", None, 2, 5, 0, "星"),
            Col(["房价(元/晚)", "价格", "起价(元)", "均价(元/晚)"], ["房价", "价格", "起价"], "real", None, 150, 3200, 0, "元"),
            Col(["用户评分", "评分", "点评分", "综合评分"], ["评分"], "real", None, 3.2, 5, 1, "分"),
            Col(["房间数", "客房数量", "房间总数", "客房数"], ["房间数", "客房"], "real", None, 40, 900, 0, "间"),
            Col(["距市中心(公里)", "距离(km)", "离市中心距离", "距中心距离(公里)"], ["距离"], "real", None, 0.3, 35, 1, "公里"),
        ],
        measure="家",
    ),
    Domain(
        "cars",
        ["车型", "车", "汽车"],
        ["{month}月汽车销量榜", "新能源车型参数", "{year}年热销车型"],
        [
            Col(["车型", "车型名称", "车系", "型号"], ["车型", "车系"], "text", CAR_MODELS, key=True),
            Col(["品牌", "厂商", "汽车品牌", "所属品牌"], ["品牌", "厂商"], "text", _plain(CAR_BRANDS)),
            Col(["级别", "车身类型", "车辆类型", "类别"], ["级别", "类型"], "text", _plain(CAR_KINDS)),
            Col(
                ["指导价(万元)", "售价(万)", "官方指导价(万元)", "价格区间(万)"],
                ["指导价", "售价", "价格"],
                "real",
                None,
                4,
                80,
                2,
                "万",
            ),
            Col(["月销量(辆)", "销量", "当月销量", "上险量(辆)"], ["销量"], "real", None, 800, 60000, 0, "辆"),
            Col(
                ["续航里程(km)", "续航", "纯电续航(公里)", "综合续航(km)"],
                ["续航", "续航里程"],
                "real",
                None,
                300,
                1000,
                0,
                "公里",
            ),
            Col(["座位数", "座椅数", "乘坐人数", "座位"], ["座位数", "座位"], "real", None, 2, 7, 0, "座"),
        ],
        measure="款",
    ),
    Domain(
        "books",
        ["书", "图书", "作品"],
        ["{year}年图书畅销榜", "{publisher}年度书单", "读者评分最高的书"],
        [
            Col(["书名", "图书名称", "作品名", "书籍名称"], ["书名", "书"], "text", _plain(BOOKS), key=True),
            Col(["作者", "作者姓名", "著者", "作家"], ["作者"], "text", person),
            Col(["出版社", "出版单位", "出版方", "出品方"], ["出版社"], "text", PUBLISHERS),
            Col(["定价(元)", "售价", "价格(元)", "定价"], ["定价", "价格", "售价"], "real", None, 18, 168, 1, "元"),
            Col(["页数", "总页数", "篇幅(页)", "页码数"], ["页数"], "real", None, 96, 1200, 0, "页"),
            Col(["读者评分", "评分", "豆瓣评分", "口碑分"], ["评分"], "real", None, 5.5, 9.7, 1, "分"),
            Col(["销量(万册)", "销量", "累计销量(万册)", "发行量(万)"], ["销量", "发行量"], "real", None, 1, 900, 1, "万"),
        ],
        measure="本",
    ),
    Domain(
        "phones",
        ["手机", "机型"],
        ["{year}年手机销量排行", "旗舰手机参数对比", "{brand}手机价格表"],
        [
            Col(["机型", "手机型号", "产品名称", "型号"], ["机型", "手机", "型号"], "text", PHONES, key=True),
            Col(["品牌", "厂商", "手机品牌", "生产厂商"], ["品牌", "厂商"], "text", _plain(PHONE_BRANDS)),
            Col(["售价(元)", "价格", "起售价(元)", "官方价格"], ["售价", "价格", "起售价"], "real", None, 999, 13999, 0, "元"),
            Col(
                ["电池容量(mAh)", "电池", "电池容量", "续航电池(毫安时)"],
                ["电池容量", "电池"],
                "real",
                None,
                3000,
                6000,
                0,
                "毫安",
            ),
            Col(["屏幕尺寸(英寸)", "屏幕", "屏幕大小", "屏幕尺寸"], ["屏幕尺寸", "屏幕"], "real", None, 5.4, 7.2, 2, "英寸"),
            Col(["季度销量(万台)", "销量", "出货量(万台)", "销量(万)"], ["销量", "出货量"], "real", None, 5, 900, 1, "万"),
            Col(["跑分(万)", "安兔兔跑分(万)", "性能跑分", "跑分"], ["跑分"], "real", None, 60, 220, 0, "万"),
        ],
        measure="款",
    ),
    Domain(
        "players",
        ["球员", "运动员"],
        ["CBA{year}赛季球员数据", "{team}球员统计", "得分榜"],
        [
            Col(["球员", "球员姓名", "姓名", "队员"], ["球员"], "text", person, key=True),
            Col(["球队", "所属球队", "效力球队", "俱乐部"], ["球队"], "text", TEAMS),
            Col(["位置", "场上位置", "司职", "打球位置"], ["位置"], "text", _plain(POSITIONS)),
            Col(["场均得分", "得分", "平均得分", "每场得分"], ["得分", "场均得分"], "real", None, 2, 35, 1, "分"),
            Col(["场均篮板", "篮板", "平均篮板", "每场篮板"], ["篮板"], "real", None, 0.5, 14, 1, "个"),
            Col(["年龄", "球员年龄", "岁数", "周岁"], ["年龄", "岁数"], "real", None, 18, 38, 0, "岁"),
            Col(["出场次数", "出场", "出场数", "登场次数"], ["出场次数", "出场"], "real", None, 1, 56, 0, "场"),
        ],
        measure="名",
    ),
    Domain(
        "companies",
        ["公司", "企业"],
        ["{year}年上市公司年报摘要", "{industry}企业财务数据", "民营企业百强"],
        [
            Col(["公司名称", "企业名称", "公司", "单位名称"], ["公司", "企业"], "text", _company, key=True),
            Col(
                ["所在省份", "省份", "注册地", "总部所在地"],
                ["省份", "注册地"],
                "text",
                lambda r: (r.choice(PROVINCES) + "省", None),
            ),
            Col(["行业", "所属行业", "主营行业", "行业门类"], ["行业"], "text", _plain(INDUSTRIES)),
            Col(
                ["营业收入(亿元)", "营收(亿)", "营业总收入(亿元)", "年营收"],
                ["营收", "营业收入", "收入"],
                "real",
                None,
                10,
                9000,
                1,
                "亿",
            ),
            Col(["净利润(亿元)", "净利润", "归母净利润(亿)", "利润(亿元)"], ["净利润", "利润"], "real", None, -50, 1500, 1, "亿"),
            Col(["员工人数", "员工数", "职工人数", "在职员工"], ["员工", "员工人数", "职工"], "real", None, 300, 400000, 0, "人"),
            Col(
                ["研发投入占比(%)", "研发占比", "研发费用率(%)", "研发强度"],
                ["研发占比", "研发投入"],
                "real",
                None,
                0.5,
                25,
                1,
                "%",
            ),
        ],
        measure="家",
    ),
]

# People rarely say the header: colloquial names per column (keyed by its first header variant).
COLLOQUIAL = {
    "成交均价(元/平)": ["每平米多少钱", "每平米价钱"],
    "成交套数": ["卖出去的房子", "卖掉的房源数"],
    "建筑面积(万平)": ["盖了多大"],
    "收盘价(元)": ["收市价钱", "股票价钱"],
    "涨跌幅(%)": ["涨了多少", "当天表现"],
    "市盈率": ["估值倍数", "PE值"],
    "总市值(亿元)": ["公司体量", "值多少钱"],
    "单位净值": ["一份值多少"],
    "近一年收益率(%)": ["赚了多少", "回报"],
    "基金规模(亿元)": ["管着多少钱", "盘子大小"],
    "GDP(亿元)": ["经济体量", "产值"],
    "常住人口(万人)": ["住了多少人", "人数规模"],
    "人均可支配收入(元)": ["每人挣多少", "老百姓收入"],
    "票房(万元)": ["卖了多少钱", "票房成绩"],
    "豆瓣评分": ["口碑", "打分"],
    "上映天数": ["放了多久", "上映多久"],
    "录取分数线": ["门槛", "要考多少分"],
    "在校生人数": ["学生规模", "学生多少"],
    "综合排名": ["名次", "第几名"],
    "房价(元/晚)": ["一晚多少钱", "住一晚的价钱"],
    "用户评分": ["口碑", "好评度"],
    "距市中心(公里)": ["离市中心多远", "远近"],
    "指导价(万元)": ["多少钱", "卖多少钱"],
    "月销量(辆)": ["卖了多少辆", "卖得多少"],
    "续航里程(km)": ["能跑多远", "跑多少公里"],
    "定价(元)": ["多少钱", "标价"],
    "页数": ["多厚", "厚度"],
    "读者评分": ["口碑", "打分"],
    "售价(元)": ["多少钱", "卖多少钱"],
    "电池容量(mAh)": ["电量", "电池多大"],
    "屏幕尺寸(英寸)": ["屏多大", "屏幕多大"],
    "场均得分": ["每场拿几分", "每场拿分"],
    "场均篮板": ["抢板数", "每场抢板"],
    "年龄": ["多大岁数", "几岁"],
    "出场次数": ["上场次数", "打了几场"],
    "营业收入(亿元)": ["营业额", "一年卖多少钱"],
    "净利润(亿元)": ["赚了多少钱", "盈利"],
    "员工人数": ["多少人", "人员规模"],
}
SELECT_WORDS = ["是多少", "是什么", "分别是多少", "有哪些", "是多少呢", "都是多少", "能告诉我吗"]
AGG_PHRASES = {
    0: ["{c}"],
    1: ["平均{c}", "{c}的平均值", "{c}均值", "平均的{c}", "{c}平均下来"],
    2: ["最高{c}", "{c}的最大值", "最大的{c}", "{c}最高", "最高的{c}", "{c}最多"],
    3: ["最低{c}", "{c}的最小值", "最小的{c}", "{c}最低", "最低的{c}", "{c}最少"],
    5: ["{c}总和", "总{c}", "{c}合计", "{c}一共", "{c}加起来", "{c}的总数"],
}
COUNT_PHRASES = ["有多少{m}{e}", "有几{m}{e}", "{e}的数量", "一共有多少{m}{e}", "{e}有几{m}", "共有多少{m}{e}", "{e}数目"]
OP_TEXT = {
    2: ["{c}是{v}", "{c}为{v}", "{c}属于{v}", "{v}", "在{v}", "{v}这个{c}", "{c}={v}"],
    3: ["{c}不是{v}", "{c}不为{v}", "除了{v}以外", "非{v}", "{c}不属于{v}", "不在{v}"],
}
OP_REAL = {
    0: [
        "{c}大于{v}",
        "{c}超过{v}",
        "{c}高于{v}",
        "{c}在{v}以上",
        "{c}多于{v}",
        "{c}比{v}大",
        "{c}>{v}",
        "{c}超出了{v}",
        "{c}不低于{v}",
        "{c}不少于{v}",
        "{c}不止{v}",
    ],
    1: [
        "{c}小于{v}",
        "{c}低于{v}",
        "{c}不到{v}",
        "{c}在{v}以下",
        "{c}少于{v}",
        "{c}比{v}小",
        "{c}<{v}",
        "{c}不足{v}",
        "{c}不超过{v}",
        "{c}没有超过{v}",
        "{c}不高于{v}",
        "{c}没到{v}",
    ],
    2: ["{c}等于{v}", "{c}为{v}", "{c}是{v}", "{c}刚好{v}", "{c}正好是{v}"],
    3: ["{c}不等于{v}", "{c}不是{v}", "{c}不为{v}", "{c}并非{v}"],
}
CONN_WORDS = {1: ["并且", "而且", "且", "，同时", "、", "，还有", "同时"], 2: ["或者", "或", "或是", "，或者", "要么"]}
FRAMES = [
    "{conds}的{e}{sel}{ask}？",
    "请问{conds}的{e}{sel}{ask}",
    "帮我查一下{conds}的{e}{sel}",
    "{sel}{ask}，要求{conds}",
    "我想知道{conds}的{e}，{sel}{ask}",
    "在{conds}的{e}中，{sel}{ask}",
    "{conds}的那些{e}{sel}{ask}",
    "{conds}时{sel}{ask}",
    "你好，{conds}的{e}{sel}{ask}",
    "能不能告诉我{conds}的{e}{sel}",
]
NO_COND_FRAMES = ["所有{e}{sel}{ask}？", "表中{e}{sel}{ask}", "{sel}{ask}", "全部{e}{sel}{ask}"]
COUNT_FRAMES = [
    "{conds}的{count}？",
    "请问{conds}的{count}",
    "{conds}的{e}一共有几{m}",
    "统计一下{conds}的{e}数量",
    "满足{conds}的{e}有多少{m}",
]
SAME_COL_OR = ["{c}是{v1}或{v2}", "{v1}或者{v2}", "{c}为{v1}或{v2}", "{v1}和{v2}"]


def _fill(template: str, **parts: str) -> str:
    for key, value in parts.items():
        template = template.replace("{" + key + "}", value)
    return template


class Generator:
    def __init__(self, split: str) -> None:
        self.split = split
        self.rng = random.Random(f"{VERSION}/{split}")

    def make_table(self, index: int, taken: set[tuple[str, ...]]) -> tuple[dict, Domain, list[Col]]:
        rng = self.rng
        train = self.split == "train"
        for _ in range(100):
            domain = DOMAINS[index % len(DOMAINS)] if train else rng.choice(DOMAINS)
            key = domain.columns[0]
            others = rng.sample(domain.columns[1:], rng.randint(3, min(6, len(domain.columns) - 1)))
            cols = [key, *sorted(others, key=domain.columns.index)]
            headers = [self._header(c) for c in cols]
            if train or tuple(headers) not in taken:
                break
        else:  # pragma: no cover - 100 misses in a row do not happen with these pools
            raise RuntimeError("could not build an unseen header list")
        taken.add(tuple(headers))
        n_rows = rng.randint(8, 22)
        if isinstance(key.pool, list):
            n_rows = min(n_rows, len(key.pool) - 2)
        rows, aliases, seen = [], [{} for _ in cols], set()
        while len(rows) < n_rows:
            row = []
            for j, col in enumerate(cols):
                value, alias = col.value(rng)
                row.append(value)
                if alias:
                    aliases[j][value] = alias
            if row[0] in seen:
                continue
            seen.add(row[0])
            rows.append(row)
        parts = {
            "city": rng.choice(CITIES),
            "year": str(rng.randint(2015, 2024)),
            "date": f"{rng.randint(1, 12)}月{rng.randint(1, 28)}日",
            "industry": rng.choice(INDUSTRIES),
            "house": rng.choice(FUND_HOUSES),
            "month": str(rng.randint(1, 12)),
            "publisher": rng.choice(PUBLISHERS)[0],
            "brand": rng.choice(PHONE_BRANDS),
            "team": rng.choice(TEAMS)[0],
        }
        title = _fill(rng.choice(domain.titles), **parts)
        table = {
            "id": f"{self.split}-{domain.name}-{index:04d}",
            "name": f"Table_{self.split}_{index:04d}",
            "title": title,
            "header": headers,
            "types": [c.kind for c in cols],
            "rows": rows,
        }
        table["_aliases"] = aliases
        return table, domain, cols

    def _header(self, col: Col) -> str:
        if self.split == "train":
            return self.rng.choice(col.headers[:-1])
        return col.headers[-1] if self.rng.random() < 0.5 else self.rng.choice(col.headers)

    def mention(self, col: Col, header: str) -> str:
        """How a question names a column: its header without the unit, a short name, or a colloquial
        name that shares no character with any header variant (learnable from train, not by matching)."""
        colloquial = COLLOQUIAL.get(col.headers[0], [])
        if colloquial and self.rng.random() < 0.3:
            return self.rng.choice(colloquial)
        bare = header.split("(")[0]
        return self.rng.choice([bare, bare, *col.mentions])

    def number_text(self, value: float, col: Col) -> str:
        rng = self.rng
        forms = number_forms(value)
        text = forms[0] if len(forms) == 1 or rng.random() < 0.45 else rng.choice(forms[1:])
        if col.unit and rng.random() < 0.5 and not text.endswith(col.unit[:1]):
            text += col.unit
        return text

    def question(self, table: dict, domain: Domain, cols: list[Col], qid: int) -> dict:
        rng = self.rng
        headers, rows = table["header"], table["rows"]
        aliases = table["_aliases"]
        real = [j for j, c in enumerate(cols) if c.kind == "real"]
        entity = rng.choice(domain.entity)
        n_cond = rng.choices([0, 1, 2, 3], weights=[4, 40, 42, 14])[0]
        conn = 0 if n_cond < 2 else rng.choices([1, 2], weights=[62, 38])[0]
        # Selection: COUNT of the key column, or 1-3 columns all plain or all aggregated.
        mode = rng.choices(["plain", "agg", "count"], weights=[50, 38, 12])[0]
        if n_cond == 0 and mode == "plain":
            mode = "agg"
        if mode == "count":
            sel, agg = [0], [4]
        else:
            pool = real if mode == "agg" else list(range(1, len(cols))) or [0]
            k = min(len(pool), rng.choices([1, 2, 3], weights=[60, 30, 10])[0])
            sel = sorted(rng.sample(pool, k))
            if mode == "plain" and rng.random() < 0.25:
                sel = sorted({0, *sel})
            agg = [rng.choice([1, 2, 3, 5]) if mode == "agg" else 0 for _ in sel]

        conds, phrases = [], []
        same_col = conn == 2 and n_cond == 2 and rng.random() < 0.35
        text_cols = [j for j, c in enumerate(cols) if c.kind == "text"]
        if same_col:
            j = rng.choice(text_cols)
            distinct = sorted({r[j] for r in rows}, key=str)
            if len(distinct) >= 2:
                v1, v2 = rng.sample(distinct, 2)
                t1, t2 = (self.text_value(v, aliases[j]) for v in (v1, v2))
                phrases.append(_fill(rng.choice(SAME_COL_OR), c=self.mention(cols[j], headers[j]), v1=t1, v2=t2))
                conds = [[j, 2, v1], [j, 2, v2]]
            else:
                same_col = False
        if not same_col:
            candidates = [j for j in range(len(cols)) if j not in sel or rng.random() < 0.1]
            chosen = rng.sample(candidates, min(n_cond, len(candidates)))
            for j in chosen:
                cond, phrase = self.condition(j, cols[j], headers[j], rows, aliases[j])
                conds.append(cond)
                phrases.append(phrase)
            if len(conds) < 2:
                conn = 0
        if conn:
            words = CONN_WORDS[conn]
            joined = phrases[0]
            for phrase in phrases[1:]:
                joined += rng.choice(words) + phrase
        else:
            joined = phrases[0] if phrases else ""

        ask = rng.choice(SELECT_WORDS)
        m = domain.measure
        if mode == "count":
            if conds:
                frame = rng.choice(COUNT_FRAMES)
                text = _fill(frame, conds=joined, count=_fill(rng.choice(COUNT_PHRASES), m=m, e=entity), e=entity, m=m)
            else:
                text = "表中" + _fill(rng.choice(COUNT_PHRASES), m=m, e=entity) + "？"
        else:
            parts = []
            for j, a in zip(sel, agg, strict=True):
                parts.append(_fill(rng.choice(AGG_PHRASES[a]), c=self.mention(cols[j], headers[j])))
            sel_text = rng.choice(["和", "、", "以及", "，"]).join(parts)
            if sel == [0] and agg == [0]:
                sel_text, ask = rng.choice([("", "有哪些"), ("名称", "是什么"), ("", "都有哪些"), ("", "是哪些")])
            frame = rng.choice(FRAMES if conds else NO_COND_FRAMES)
            text = _fill(frame, conds=joined, e=entity, sel=sel_text, ask=ask)
        sql = {
            "sel": sel,
            "agg": agg,
            "cond_conn_op": conn,
            "conds": [[j, op, canonical_number(v) if isinstance(v, float) else str(v)] for j, op, v in conds],
        }
        return {
            "table_id": table["id"],
            "question": text.replace("，，", "，").replace("的的", "的"),
            "sql": sql,
            "id": f"{self.split}-{qid:05d}",
        }

    def text_value(self, value: str, aliases: dict) -> str:
        alias = aliases.get(value)
        return alias if alias and self.rng.random() < 0.5 else value

    def condition(self, j: int, col: Col, header: str, rows: list[list], aliases: dict) -> tuple[list, str]:
        rng = self.rng
        name = self.mention(col, header)
        values = [r[j] for r in rows]
        if col.kind == "text":
            op = rng.choices([2, 3], weights=[80, 20])[0]
            value = rng.choice(values)
            template = rng.choice(OP_TEXT[op])
            if "{c}" not in template and op == 2 and j == 0:
                template = "{c}是{v}"
            return [j, op, value], _fill(template, c=name, v=self.text_value(value, aliases))
        op = rng.choices([0, 1, 2, 3], weights=[36, 36, 16, 12])[0]
        if op in (2, 3):
            value = rng.choice(values)
        else:
            # A round threshold near a table value, as people ask ("均价超过3万").
            anchor = rng.choice(values)
            digits = max(1, len(str(int(abs(anchor)))) - 1)
            step = 10 ** max(0, digits - 1) if abs(anchor) >= 10 else (1 if col.decimals == 0 else 0.5)
            value = round(anchor / step) * step
            value = float(int(value)) if col.decimals == 0 or value == int(value) else round(value, 2)
        text = self.number_text(value, col)
        return [j, op, value], _fill(rng.choice(OP_REAL[op]), c=name, v=text)


def generate(split: str) -> tuple[list[dict], dict[str, dict]]:
    """Return (questions, tables by id) of one split; val and test tables have header lists unseen in train."""
    n_tables, n_questions = SIZES[split]
    taken: set[tuple[str, ...]] = set()
    if split != "train":
        taken = _train_header_lists()
    generator = Generator(split)
    tables, built = {}, []
    for index in range(n_tables):
        table, domain, cols = generator.make_table(index, taken)
        tables[table["id"]] = table
        built.append((table, domain, cols))
    # Questions grouped by table (as TableQA files are), so execution reuses each table's sandbox.
    questions = [generator.question(*built[i * n_tables // n_questions], i) for i in range(n_questions)]
    for table in tables.values():
        del table["_aliases"]
    return questions, tables


_TRAIN_HEADERS: set[tuple[str, ...]] | None = None


def _train_header_lists() -> set[tuple[str, ...]]:
    global _TRAIN_HEADERS
    if _TRAIN_HEADERS is None:
        generator, taken = Generator("train"), set()
        for index in range(SIZES["train"][0]):
            generator.make_table(index, taken)
        _TRAIN_HEADERS = taken
    return set(_TRAIN_HEADERS)
